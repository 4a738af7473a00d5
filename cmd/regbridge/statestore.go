package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/regbridge/regbridge/bridge"
	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/state"
)

// memoryReplayLimit bounds the in-memory replay set of one replica.
const memoryReplayLimit = 1_000_000

// replayBackend is the replay store handed to the providers and what
// /readyz says of it.
type replayBackend struct {
	store providers.ReplayStore
	// refresh keeps refresh-token idle times and revocations.
	refresh bridge.RefreshStore
	redis   *state.Redis // nil for the in-memory store
}

// newReplayBackend returns the Redis store when cfg has a URL, else an
// in-memory one. It reads the password file but makes no connection.
func newReplayBackend(cfg StateConfig, now func() time.Time, log *slog.Logger) (*replayBackend, error) {
	if !cfg.enabled() {
		return &replayBackend{store: providers.NewMemoryReplay(memoryReplayLimit, now),
			refresh: state.NewMemoryRefresh(memoryReplayLimit, now)}, nil
	}
	opts := state.Options{KeyPrefix: cfg.KeyPrefix, Timeout: cfg.Timeout, Logger: log, Now: now}
	if cfg.PasswordFile != "" {
		raw, err := os.ReadFile(cfg.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("state.password_file: %w", err)
		}
		pw := strings.TrimRight(string(raw), "\r\n")
		if pw == "" {
			return nil, fmt.Errorf("state.password_file: %s is empty", cfg.PasswordFile)
		}
		opts.Password = providers.Secret(pw)
	}
	r, err := state.NewRedis(cfg.URL, opts)
	if err != nil {
		return nil, err
	}
	return &replayBackend{store: r, refresh: r, redis: r}, nil
}

// name is "redis" or "memory".
func (b *replayBackend) name() string {
	if b.redis != nil {
		return "redis"
	}
	return "memory"
}

// checkAtStart pings Redis once and logs the outcome. An unreachable Redis
// does not stop the server: each request that needs the replay store is
// answered 503 until Redis is back.
func (b *replayBackend) checkAtStart(ctx context.Context, log *slog.Logger) {
	if b.redis == nil {
		log.Debug("replay state in memory: each replica keeps its own DPoP and single-use token sets")
		return
	}
	if err := b.redis.Ping(ctx); err != nil {
		log.Warn("replay state: Redis does not answer; requests that need a replay check get 503 until it does",
			"redis", b.redis.String(), "err", err)
		return
	}
	log.Info("replay state shared in Redis", "redis", b.redis.String())
}

// readyPingTimeout bounds the PING of /readyz, well inside the 1s default
// timeout of a Kubernetes probe, so a hung Redis cannot fail the probe.
const readyPingTimeout = 250 * time.Millisecond

// readyDetail is the "state" member of /readyz. It does not change
// readiness: a replica without Redis still serves the requests that need
// no replay check.
func (b *replayBackend) readyDetail(ctx context.Context) map[string]any {
	d := map[string]any{"backend": b.name()}
	if b.redis != nil {
		ctx, cancel := context.WithTimeout(ctx, readyPingTimeout)
		defer cancel()
		d["reachable"] = b.redis.Ping(ctx) == nil
	}
	return d
}

func (b *replayBackend) close() {
	if b.redis != nil {
		_ = b.redis.Close()
	}
}
