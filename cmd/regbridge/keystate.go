package main

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/regbridge/regbridge/providers"
)

// keyStateProblems checks state_dir and max_stale_keys.
func (c *Config) keyStateProblems() []string {
	var p []string
	if c.MaxStaleKeys < 0 {
		p = append(p, c.at("max_stale_keys", "max_stale_keys: %s is negative", c.MaxStaleKeys))
	}
	if c.MaxStaleKeys != 0 && c.StateDir == "" {
		p = append(p, c.at("max_stale_keys", "max_stale_keys needs state_dir: it bounds the age of the keys kept there"))
	}
	return p
}

// staleKeysDetail is the stale_keys member of /readyz: the key sets
// verifying with keys read back from state_dir that no fetch has
// confirmed, with their age.
type staleKeysDetail struct {
	Source     string    `json:"source"`
	Fetched    time.Time `json:"fetched"`
	AgeSeconds int64     `json:"age_seconds"`
}

// watchKeySets exports the key sets serving keys read back from state_dir
// as metrics and a /readyz member. Without state_dir there are none, and
// nothing is exported.
func (o *observability) watchKeySets(cfg *Config, ks *providers.KeySetCache, now func() time.Time) {
	if cfg.StateDir == "" {
		return
	}
	if now == nil {
		now = time.Now
	}
	o.staleKeys = func(context.Context) any {
		out := []staleKeysDetail{}
		for _, s := range ks.Stale() {
			out = append(out, staleKeysDetail{Source: s.Source, Fetched: s.Fetched, AgeSeconds: int64(now().Sub(s.Fetched).Seconds())})
		}
		return out
	}
	o.metrics.Registry().MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "regbridge_issuer_keys_stale",
			Help: "Key sets verifying tokens with keys read back from state_dir that no fetch has confirmed since the start.",
		}, func() float64 { return float64(len(ks.Stale())) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "regbridge_issuer_keys_stale_age_seconds",
			Help: "Age of the oldest key set read back from state_dir and not confirmed by a fetch (0 when none).",
		}, func() float64 {
			if s := ks.Stale(); len(s) > 0 {
				return now().Sub(s[0].Fetched).Seconds()
			}
			return 0
		}),
	)
}
