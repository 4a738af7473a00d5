package main

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/regbridge/regbridge/bridge"
)

func TestRateLimitProblemsNameTheFileLineAndKey(t *testing.T) {
	src := `services: [{name: r, issuer: i}]
keys: [{private_key: k.pem}]
policy: p.yaml
rate_limits:
  enabled: true
  trusted_proxies: [10.0.0.0/8, proxy.internal]
  per_address: {requests: 5, per: -1s}
  on_state_error: open
`
	_, err := parseConfig([]byte(src), "regbridge.yaml", nil)
	for _, want := range []string{
		`regbridge.yaml:4: rate_limits.trusted_proxies: "proxy.internal"`,
		`rate_limits.per_address.per`,
		`rate_limits.on_state_error: "open"`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not say %q", err, want)
		}
	}
}

func TestRateLimitsAreOffUnlessEnabledAndShareTheStateRedis(t *testing.T) {
	src := `services: [{name: r, issuer: i}]
keys: [{private_key: k.pem}]
policy: p.yaml
rate_limits: {trusted_proxies: [nonsense]}
`
	cfg, err := parseConfig([]byte(src), "regbridge.yaml", nil)
	if err != nil {
		t.Fatalf("a disabled section is not checked: %v", err)
	}
	obs, err := newObservability(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	memory, err := newReplayBackend(StateConfig{}, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if a, err := newAbuseControl(cfg, memory, time.Now, obs); a != nil || err != nil {
		t.Fatalf("disabled: %v %v, want no abuse control", a, err)
	}
	cfg.RateLimits = bridge.RateLimitConfig{Enabled: true}
	redis, err := newReplayBackend(StateConfig{URL: "redis://127.0.0.1:1/0"}, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer redis.close()
	a, err := newAbuseControl(cfg, redis, time.Now, obs)
	if err != nil || a == nil {
		t.Fatalf("enabled: %v %v", a, err)
	}
	if d := a.ReadyDetail(t.Context()).(map[string]any); d["store"] != "shared" || d["on_state_error"] != bridge.OnStateErrorLocal {
		t.Fatalf("ready detail %v", d)
	}
	families, err := obs.metrics.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range families {
		found = found || f.GetName() == "regbridge_rate_limited_total"
	}
	if !found {
		t.Fatal("regbridge_rate_limited_total is not on the metrics registry")
	}
}
