package bridge

import (
	"bufio"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/regbridge/regbridge/providers"
)

// scrape returns every sample line of m's /metrics as name{labels} → value.
func scrape(t *testing.T, m *Metrics) map[string]string {
	t.Helper()
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if w.Code != http.StatusOK {
		t.Fatalf("GET /metrics: status %d", w.Code)
	}
	out := map[string]string{}
	sc := bufio.NewScanner(w.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		out[line[:i]] = line[i+1:]
	}
	return out
}

func TestMetricsCountExactlyWhatAScriptedSetOfRequestsDid(t *testing.T) {
	env := newTestEnv(t, observePolicy)
	m := NewMetrics()
	m.Track(env.srv.State)
	env.srv.opts.Observer = m

	steps := []struct {
		query, user, pass string
		status            int
	}{
		{"service=registry.test&scope=repository:alice/app:pull", "alice", "alice-pw", 200},  // miss
		{"service=registry.test&scope=repository:alice/app:pull", "alice", "alice-pw", 200},  // hit
		{"service=registry.test&scope=repository:alice/app:push", "alice", "alice-pw", 200},  // hit
		{"service=registry.test&scope=repository:public/app:pull", "", "", 200},              // anonymous
		{"service=registry.test&scope=repository:public/app:pull", "", "", 200},              // anonymous
		{"service=registry.test&scope=repository:alice/app:pull", "alice", "wrong", 401},     // miss, rejected
		{"service=registry.test&scope=repository:alice/app:pull", "alice", "wrong", 401},     // negative hit
		{"service=elsewhere&scope=repository:alice/app:pull", "", "", 400},                   // unknown service
		{"service=registry.test&scope=repository:public/secret:pull", "", "", 403},           // deny rule
		{"service=registry.test&scope=repository:alice/app:pull", "nobody", "whatever", 401}, // unknown name, to the local provider
	}
	for i, s := range steps {
		if w := env.get(t, s.query, s.user, s.pass); w.Code != s.status {
			t.Fatalf("step %d: status %d, want %d: %s", i, w.Code, s.status, w.Body)
		}
	}
	m.Reloaded(true)
	m.Reloaded(false)
	m.Reloaded(false)

	got := scrape(t, m)
	want := map[string]string{
		`registry_token_issued_total{provider="users",service="registry.test"}`:                               "3",
		`registry_token_issued_total{provider="anonymous",service="registry.test"}`:                           "2",
		`registry_token_rejected_total{provider="users",reason="invalid_credential",service="registry.test"}`: "3",
		`registry_token_rejected_total{provider="none",reason="bad_request",service=""}`:                      "1",
		`registry_token_rejected_total{provider="anonymous",reason="forbidden",service="registry.test"}`:      "1",
		`regbridge_credential_cache_hits_total{provider="users"}`:                                             "3",
		`regbridge_credential_cache_misses_total{provider="users"}`:                                           "3",
		`regbridge_credential_cache_entries`:                                                                  "3",
		`regbridge_credential_cache_evictions_total`:                                                          "0",
		`regbridge_upstream_duration_seconds_count{outcome="ok",provider="users"}`:                            "1",
		`regbridge_upstream_duration_seconds_count{outcome="rejected",provider="users"}`:                      "2",
		`regbridge_request_duration_seconds_count{outcome="issued",provider="users"}`:                         "3",
		`regbridge_request_duration_seconds_count{outcome="issued",provider="anonymous"}`:                     "2",
		`regbridge_request_duration_seconds_count{outcome="rejected",provider="users"}`:                       "3",
		`regbridge_request_duration_seconds_count{outcome="forbidden",provider="anonymous"}`:                  "1",
		`regbridge_policy_reloads_total{result="ok"}`:                                                         "1",
		`regbridge_policy_reloads_total{result="refused"}`:                                                    "2",
		fmt.Sprintf(`regbridge_signing_key_info{alg="ES256",kid="%s"}`, env.key.KeyID):                        "1",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	var issued, rejected, cache int
	for k := range got {
		if strings.HasPrefix(k, "registry_token_issued_total{") {
			issued++
		}
		if strings.HasPrefix(k, "registry_token_rejected_total{") {
			rejected++
		}
		if strings.HasPrefix(k, "regbridge_credential_cache_hits_total{") || strings.HasPrefix(k, "regbridge_credential_cache_misses_total{") {
			cache++
		}
	}
	if issued != 2 || rejected != 3 || cache != 2 {
		t.Errorf("got %d issued, %d rejected and %d credential cache series, want 2, 3 and 2 (none for anonymous)", issued, rejected, cache)
	}
}

// BenchmarkMetricsObserveIssued is the metrics' share of one issued token
// for a cached credential.
func BenchmarkMetricsObserveIssued(b *testing.B) {
	m := NewMetrics()
	e := Event{Outcome: OutcomeIssued, Service: "registry.bench", Provider: "users", CredentialHash: "h", CacheHit: true, Latency: 300 * time.Microsecond}
	b.ReportAllocs()
	for b.Loop() {
		m.Observe(e)
	}
}

func TestMetricsUseAPrivateRegistryNotTheGlobalDefault(t *testing.T) {
	m := NewMetrics()
	m.Observe(Event{Service: "s", Provider: "p", Outcome: OutcomeIssued})
	mfs, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if strings.HasPrefix(mf.GetName(), "registry_token_") || strings.HasPrefix(mf.GetName(), "regbridge_") {
			t.Errorf("metric %s is on the global default registry", mf.GetName())
		}
	}
	if got := scrape(t, m)[`registry_token_issued_total{provider="p",service="s"}`]; got != "1" {
		t.Errorf("issued on the private registry = %q, want 1", got)
	}
}

func TestMetricLabelsNeverCarryRequestText(t *testing.T) {
	env := newTestEnv(t, observePolicy)
	m := NewMetrics()
	env.srv.opts.Observer = m
	env.get(t, "service=attacker-chosen-service&scope=repository:attacker/x:pull", "", "")
	env.get(t, "service=registry.test&scope=repository:attacker-repo/x:pull", "attacker-user", "pw")
	for k := range scrape(t, m) {
		if strings.Contains(k, "attacker") {
			t.Errorf("a label carries request text: %s", k)
		}
	}
}

func TestUpstreamOutcomeNamesTheErrorKind(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"no error is ok", nil, UpstreamOK},
		{"an invalid credential is rejected", fmt.Errorf("x: %w", providers.ErrInvalidCredential), UpstreamRejected},
		{"an unavailable upstream is unavailable", &providers.UnavailableError{Err: fmt.Errorf("x: %w", providers.ErrUnavailable)}, UpstreamUnavailable},
		{"anything else is an error", fmt.Errorf("boom"), UpstreamError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := upstreamOutcome(tc.err); got != tc.want {
				t.Errorf("upstreamOutcome = %q, want %q", got, tc.want)
			}
		})
	}
}
