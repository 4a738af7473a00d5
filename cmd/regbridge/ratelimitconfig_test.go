package main

import (
	"log/slog"
	"os"
	"path/filepath"
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
	memory, err := newReplayBackend(StateConfig{}, time.Now, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if a, err := newAbuseControl(cfg, memory, time.Now, obs); a != nil || err != nil {
		t.Fatalf("disabled: %v %v, want no abuse control", a, err)
	}
	cfg.RateLimits = bridge.RateLimitConfig{Enabled: true}
	redis, err := newReplayBackend(StateConfig{URL: "redis://127.0.0.1:1/0"}, time.Now, slog.New(slog.DiscardHandler))
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

func TestTheRateLimitsExampleInDocsAbuseLoads(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "docs", "abuse.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(raw), "```yaml\n")
	block, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("docs/abuse.md has no yaml block")
	}
	src := "services: [{name: r, issuer: i}]\nkeys: [{private_key: k.pem}]\npolicy: p.yaml\n" + block
	cfg, err := parseConfig([]byte(src), "regbridge.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, want := cfg.RateLimits, (bridge.RateLimitConfig{}).WithDefaults()
	for _, l := range []*bridge.Limit{&got.PerAddress, &got.FailuresPerUser, &got.FailuresPerProvider, &got.PerIdentity,
		&want.PerAddress, &want.FailuresPerUser, &want.FailuresPerProvider, &want.PerIdentity} {
		l.OnStateError = ""
	}
	if got.PerAddress != want.PerAddress || got.FailuresPerUser != want.FailuresPerUser ||
		got.FailuresPerProvider != want.FailuresPerProvider || got.PerIdentity != want.PerIdentity {
		t.Errorf("the example's limits %+v are not the defaults %+v it claims", got, want)
	}
}
