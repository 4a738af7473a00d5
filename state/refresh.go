package state

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Refresh-token state in Redis. Keys are hashed like replay keys, with their
// own domain tags, so token ids and subjects never reach Redis in clear.

func idleMaterial(id string) string { return "refresh-idle\x00" + id }

// StartRefresh records a new refresh token as used now, for idle
// (`SET NX PX`). until is not needed by Redis: the record expires with idle
// and the bridge checks the token's own end.
func (r *Redis) StartRefresh(ctx context.Context, id string, idle time.Duration, _ time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	err := r.client.Do(ctx, "SET", r.key(idleMaterial(id)), "1", "NX", "PX", idleMillis(idle)).Err()
	if err != nil && !errors.Is(err, redis.Nil) {
		return r.unavailable("refresh start", err)
	}
	return nil
}

// TouchRefresh renews the idle record only when it still exists
// (`SET XX PX`, one atomic command), so a token idle for longer than idle
// stays refused at every replica.
func (r *Redis) TouchRefresh(ctx context.Context, id string, idle time.Duration, _ time.Time) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	res, err := r.client.Do(ctx, "SET", r.key(idleMaterial(id)), "1", "XX", "PX", idleMillis(idle)).Result()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	if err != nil {
		return false, r.unavailable("refresh touch", err)
	}
	if s, ok := res.(string); !ok || s != "OK" {
		return false, r.unavailable("refresh touch", fmt.Errorf("unexpected reply %T to SET", res))
	}
	return true, nil
}

// RevokeRefresh stores the revocation time of key until until.
func (r *Redis) RevokeRefresh(ctx context.Context, key string, at, until time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	if err := r.client.Do(ctx, "SET", r.key(key), strconv.FormatInt(at.UnixMilli(), 10), "PXAT", expireAt(until)).Err(); err != nil {
		return r.unavailable("refresh revoke", err)
	}
	return nil
}

// RefreshRevokedAt reads every key with one MGET and returns the latest
// revocation time.
func (r *Redis) RefreshRevokedAt(ctx context.Context, keys []string) (time.Time, error) {
	if len(keys) == 0 {
		return time.Time{}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	hashed := make([]string, len(keys))
	for i, k := range keys {
		hashed[i] = r.key(k)
	}
	vals, err := r.client.MGet(ctx, hashed...).Result()
	if err != nil {
		return time.Time{}, r.unavailable("refresh revoked", err)
	}
	var latest time.Time
	for _, v := range vals {
		s, ok := v.(string)
		if !ok {
			continue
		}
		ms, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, r.unavailable("refresh revoked", fmt.Errorf("malformed revocation record"))
		}
		if t := time.UnixMilli(ms); t.After(latest) {
			latest = t
		}
	}
	return latest, nil
}

func idleMillis(d time.Duration) int64 { return max(d.Milliseconds(), 1) }
