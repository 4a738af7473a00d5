package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/regbridge/regbridge/bridge"
)

// rateLimitProblems reports the problems of the rate_limits section, one
// per line, each prefixed with its key.
func (c *Config) rateLimitProblems() []string {
	if !c.RateLimits.Enabled {
		return nil
	}
	err := c.RateLimits.WithDefaults().Validate()
	if err == nil {
		return nil
	}
	var p []string
	for _, e := range strings.Split(err.Error(), "\n") {
		p = append(p, c.at("rate_limits", "rate_limits.%s", e))
	}
	return p
}

// newAbuseControl builds the rate limits of cfg, sharing their buckets in
// the state Redis when one is configured. It returns nil when rate limits
// are off. Its metrics are registered on obs's registry.
func newAbuseControl(cfg *Config, replay *replayBackend, now func() time.Time, obs *observability) (*bridge.AbuseControl, error) {
	var shared bridge.LimitStore
	if replay.redis != nil {
		shared = replay.redis
	}
	a, err := bridge.NewAbuseControl(cfg.RateLimits, shared, now)
	if err != nil || a == nil {
		return nil, err
	}
	if err := obs.metrics.Registry().Register(a); err != nil {
		return nil, fmt.Errorf("rate_limits: metrics: %w", err)
	}
	return a, nil
}
