package state

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/regbridge/regbridge/providers"
)

// Defaults.
const (
	// DefaultKeyPrefix starts every replay key.
	DefaultKeyPrefix = "regbridge:replay:"
	// DefaultTimeout bounds one Redis command, dialing included.
	DefaultTimeout = time.Second
	// DefaultRetryAfter is the retry hint of a 503 when Redis fails.
	DefaultRetryAfter = time.Second
)

// Options tune a Redis store. The zero value is usable.
type Options struct {
	// Password, when set, is used instead of the URL's password (it comes
	// from a password_file, so that the URL can live in a ConfigMap).
	Password providers.Secret
	// KeyPrefix starts every key (default DefaultKeyPrefix). Deployments
	// that share one Redis MUST use distinct prefixes or databases.
	KeyPrefix string
	// Timeout bounds one command including dialing and waiting for a pooled
	// connection (default DefaultTimeout).
	Timeout time.Duration
	// RetryAfter is the hint returned with an unavailable error (default
	// DefaultRetryAfter).
	RetryAfter time.Duration
	// TLSConfig is used for rediss:// URLs; nil means the system roots,
	// TLS 1.2 or later and the URL's host as the server name.
	TLSConfig *tls.Config
	// Logger receives the Redis client library's own messages, at most one
	// line per ClientLogInterval (default DefaultClientLogInterval); nil
	// discards them. Nothing of the library reaches stderr either way.
	Logger            *slog.Logger
	ClientLogInterval time.Duration
	// Now is the clock of that rate limit (time.Now when nil).
	Now func() time.Time
}

// Redis is a providers.ReplayStore shared by every replica that points at
// the same Redis database and key prefix.
type Redis struct {
	client     *redis.Client
	endpoint   Endpoint
	prefix     string
	timeout    time.Duration
	retryAfter time.Duration
}

var _ providers.ReplayStore = (*Redis)(nil)

// NewRedis returns a store for the redis:// or rediss:// URL. It does no
// network I/O: connections are made by the first command. Call Close when
// done.
func NewRedis(rawURL string, opts Options) (*Redis, error) {
	ep, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	if opts.Password != "" {
		ep.Password = opts.Password.Reveal()
	}
	r := &Redis{endpoint: ep, prefix: opts.KeyPrefix, timeout: opts.Timeout, retryAfter: opts.RetryAfter}
	if r.prefix == "" {
		r.prefix = DefaultKeyPrefix
	}
	if r.timeout <= 0 {
		r.timeout = DefaultTimeout
	}
	if r.retryAfter <= 0 {
		r.retryAfter = DefaultRetryAfter
	}
	tc := opts.TLSConfig
	if tc == nil {
		tc = ep.tlsConfig()
	} else if ep.TLS {
		tc = tc.Clone()
		if tc.ServerName == "" {
			tc.ServerName = ep.Host
		}
	} else {
		tc = nil
	}
	routeClientLog(opts)
	r.client = redis.NewClient(&redis.Options{
		Addr:     ep.Addr,
		Username: ep.Username,
		Password: ep.Password,
		DB:       ep.DB,
		// RESP2 is what every Redis-compatible server speaks.
		Protocol:  2,
		TLSConfig: tc,
		// A SET NX whose reply was lost must not be sent again: the retry
		// would find its own key and report a replay. One attempt, and a
		// 503 when it fails.
		MaxRetries:            -1,
		DialTimeout:           r.timeout,
		DialerRetries:         2,
		DialerRetryTimeout:    50 * time.Millisecond,
		ReadTimeout:           r.timeout,
		WriteTimeout:          r.timeout,
		PoolTimeout:           r.timeout,
		ContextTimeoutEnabled: true,
		DisableIdentity:       true,
		MaintNotificationsConfig: &maintnotifications.Config{
			Mode: maintnotifications.ModeDisabled,
		},
	})
	return r, nil
}

// Remember implements providers.ReplayStore with one atomic
// `SET <prefix><sha256(key)> 1 NX PXAT <until ms>`. It reports fresh only
// when that SET wrote the key; any failure is a *providers.UnavailableError.
func (r *Redis) Remember(ctx context.Context, key string, until time.Time) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	res, err := r.client.Do(ctx, "SET", r.key(key), "1", "NX", "PXAT", expireAt(until)).Result()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	if err != nil {
		return false, r.unavailable("remember", err)
	}
	if s, ok := res.(string); !ok || s != "OK" {
		return false, r.unavailable("remember", fmt.Errorf("unexpected reply %T to SET", res))
	}
	return true, nil
}

// Ping checks that Redis answers, within the store's timeout.
func (r *Redis) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	if err := r.client.Ping(ctx).Err(); err != nil {
		return r.unavailable("ping", err)
	}
	return nil
}

// Close closes the connections.
func (r *Redis) Close() error { return r.client.Close() }

// String names the endpoint without its password, for logs.
func (r *Redis) String() string { return r.endpoint.Redacted() }

// key is the Redis key of the key material: the prefix and the hex SHA-256,
// so that tokens, proofs and jti values never reach Redis.
func (r *Redis) key(material string) string {
	sum := sha256.Sum256([]byte(material))
	return r.prefix + hex.EncodeToString(sum[:])
}

func (r *Redis) unavailable(op string, err error) error {
	return &providers.UnavailableError{RetryAfter: r.retryAfter, Err: fmt.Errorf("state: redis: %s: %w", op, err)}
}

// expireAt is until in Unix milliseconds, rounded up so a key never expires
// before until. Redis refuses PXAT values below 1; a time that far in the
// past has expired anyway, and Redis does not store an expired key.
func expireAt(until time.Time) int64 {
	ms := until.UnixMilli()
	if until.After(time.UnixMilli(ms)) {
		ms++
	}
	return max(ms, 1)
}
