package bridge

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// limitCounts counts refusals per limit.
type limitCounts struct {
	perAddress, failuresPerUser, failuresPerProvider, perIdentity atomic.Uint64
}

func (c *limitCounts) limited(name string) {
	switch name {
	case limitPerAddress:
		c.perAddress.Add(1)
	case limitFailuresPerUser:
		c.failuresPerUser.Add(1)
	case limitFailuresPerProvider:
		c.failuresPerProvider.Add(1)
	case limitPerIdentity:
		c.perIdentity.Add(1)
	}
}

var (
	descLimited = prometheus.NewDesc("regbridge_rate_limited_total",
		"Token requests refused with 429, by the limit they exceeded.", []string{"limit"}, nil)
	descOverload = prometheus.NewDesc("regbridge_provider_overload_rejected_total",
		"Provider calls refused with 503 because the concurrency bound and its queue were full, by provider.", []string{"provider"}, nil)
	descInFlight = prometheus.NewDesc("regbridge_provider_calls_in_flight",
		"Provider calls of credential cache misses in flight, by provider.", []string{"provider"}, nil)
	descStateErrors = prometheus.NewDesc("regbridge_rate_limit_state_errors_total",
		"Shared rate-limit store failures, by what the limit did: local (fell back to this replica's bucket) or closed (answered 503).", []string{"on_state_error"}, nil)
	descStateHealthy = prometheus.NewDesc("regbridge_rate_limit_state_healthy",
		"1 when the last shared rate-limit store call succeeded or there is no shared store, else 0.", nil, nil)
)

// Describe implements prometheus.Collector.
func (a *AbuseControl) Describe(ch chan<- *prometheus.Desc) {
	ch <- descLimited
	ch <- descOverload
	ch <- descInFlight
	ch <- descStateErrors
	ch <- descStateHealthy
}

// Collect implements prometheus.Collector. Every label value is a fixed
// name or a configured provider id.
func (a *AbuseControl) Collect(ch chan<- prometheus.Metric) {
	for _, x := range []struct {
		name string
		v    *atomic.Uint64
	}{{limitPerAddress, &a.counts.perAddress}, {limitFailuresPerUser, &a.counts.failuresPerUser},
		{limitFailuresPerProvider, &a.counts.failuresPerProvider}, {limitPerIdentity, &a.counts.perIdentity}} {
		ch <- prometheus.MustNewConstMetric(descLimited, prometheus.CounterValue, float64(x.v.Load()), x.name)
	}
	a.gates.Range(func(k, v any) bool {
		g := v.(*gate)
		ch <- prometheus.MustNewConstMetric(descOverload, prometheus.CounterValue, float64(g.refused.Load()), g.provider)
		ch <- prometheus.MustNewConstMetric(descInFlight, prometheus.GaugeValue, float64(g.inFlight()), g.provider)
		return true
	})
	s := a.stores
	ch <- prometheus.MustNewConstMetric(descStateErrors, prometheus.CounterValue, float64(s.fallbacks.Load()), OnStateErrorLocal)
	ch <- prometheus.MustNewConstMetric(descStateErrors, prometheus.CounterValue, float64(s.closedRefusals.Load()), OnStateErrorClosed)
	healthy := 1.0
	if !s.healthy() {
		healthy = 0
	}
	ch <- prometheus.MustNewConstMetric(descStateHealthy, prometheus.GaugeValue, healthy)
}

// healthy reports whether the last shared store call succeeded.
func (s *limitStores) healthy() bool { return s.shared == nil || !s.failing.Load() }

// ReadyDetail is the rate_limits member of /readyz: where the buckets
// live, whether the shared store answered last time, and what limits do
// when it does not. It informs; it does not change readiness.
func (a *AbuseControl) ReadyDetail(context.Context) any {
	if a == nil {
		return map[string]any{"enabled": false}
	}
	s := a.stores
	d := map[string]any{
		"enabled":                true,
		"store":                  "memory",
		"on_state_error":         a.cfg.OnStateError,
		"password_hashing_slots": a.cfg.Concurrency.PasswordHashing,
		"upstream_slots":         a.cfg.Concurrency.Upstream,
	}
	if s.shared != nil {
		d["store"] = "shared"
		d["healthy"] = s.healthy()
		d["state_errors_total"] = s.sharedErrors.Load()
		if t := s.lastError.Load(); t != nil {
			d["last_state_error"] = t.UTC().Format(time.RFC3339)
		}
	}
	return d
}
