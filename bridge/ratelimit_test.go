package bridge

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
)

// limitedEnv is a test server with abuse control cfg (enabled) over the
// store shared (nil: memory).
func limitedEnv(t *testing.T, cfg RateLimitConfig, shared LimitStore) *testEnv {
	t.Helper()
	e := newTestEnv(t, testPolicy)
	cfg.Enabled = true
	ac, err := NewAbuseControl(cfg, shared, func() time.Time { return testNow })
	if err != nil {
		t.Fatal(err)
	}
	e.srv = NewServer(e.srv.State(), Options{Now: func() time.Time { return testNow }, Observer: e.events, Abuse: ac})
	return e
}

// off turns a limit off in a test configuration.
var off = Limit{Requests: -1}

// onlyLimit is a configuration with every limit off but the ones set.
func onlyLimit(set func(*RateLimitConfig)) RateLimitConfig {
	c := RateLimitConfig{PerAddress: off, FailuresPerUser: off, FailuresPerProvider: off, PerIdentity: off,
		Concurrency: ConcurrencyConfig{PasswordHashing: -1, Upstream: -1}}
	set(&c)
	return c
}

// from sends GET /token from addr with Basic credentials (none when user
// is empty) and extra headers as "Name: value".
func (e *testEnv) from(addr, query, user, pass string, headers ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, "/token?"+query, nil)
	r.RemoteAddr = addr
	if user != "" {
		r.SetBasicAuth(user, pass)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		r.Header.Add(k, v)
	}
	w := httptest.NewRecorder()
	e.srv.ServeHTTP(w, r)
	return w
}

const pullAlice = "service=registry.test&scope=repository:alice/app:pull"
const pullPublic = "service=registry.test&scope=repository:public/app:pull"

// want429 checks a 429 in the token endpoint's error body shape.
func want429(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429; body %s", w.Code, w.Body)
	}
	if ra := w.Header().Get("Retry-After"); ra == "" || ra == "0" {
		t.Fatalf("Retry-After %q", ra)
	}
	var body errorBody
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if len(body.Errors) != 1 || body.Errors[0].Code != "TOOMANYREQUESTS" || body.Error == "" || body.Details == "" {
		t.Fatalf("body %s", w.Body)
	}
}

func TestALimitedClientGets429BeforeAnyProviderCall(t *testing.T) {
	tests := []struct {
		name string
		cfg  RateLimitConfig
	}{
		{"per address", onlyLimit(func(c *RateLimitConfig) { c.PerAddress = Limit{Requests: 1, Per: time.Hour, Burst: 3} })},
		{"failures per user", onlyLimit(func(c *RateLimitConfig) { c.FailuresPerUser = Limit{Requests: 1, Per: time.Hour, Burst: 3} })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := limitedEnv(t, tt.cfg, nil)
			for i := range 3 {
				if w := e.from("198.51.100.7:4000", pullAlice, "alice", fmt.Sprintf("guess-%d", i)); w.Code != http.StatusUnauthorized {
					t.Fatalf("guess %d: status %d", i, w.Code)
				}
			}
			calls := e.prov.calls.Load()
			for i := range 5 {
				want429(t, e.from("198.51.100.7:4001", pullAlice, "alice", fmt.Sprintf("more-%d", i)))
			}
			if got := e.prov.calls.Load(); got != calls {
				t.Fatalf("provider called %d more times after the limit", got-calls)
			}
		})
	}
}

func TestAnotherAddressKeepsGettingTokensWhileOneIsLimited(t *testing.T) {
	e := limitedEnv(t, onlyLimit(func(c *RateLimitConfig) { c.PerAddress = Limit{Requests: 1, Per: time.Hour, Burst: 2} }), nil)
	// The good client's credential is cached before the flood.
	decodeToken(t, e.from("203.0.113.5:1", pullAlice, "alice", "alice-pw"), e.key)
	for i := range 10 {
		w := e.from("198.51.100.7:4000", pullAlice, "alice", fmt.Sprintf("guess-%d", i))
		if i >= 2 {
			want429(t, w)
		}
	}
	decodeToken(t, e.from("203.0.113.5:1", pullAlice, "alice", "alice-pw"), e.key)
	decodeToken(t, e.from("203.0.113.9:1", pullPublic, "", ""), e.key)
}

func TestAUsernameUnderAttackFromOneAddressStillLogsInFromAnother(t *testing.T) {
	e := limitedEnv(t, onlyLimit(func(c *RateLimitConfig) { c.FailuresPerUser = Limit{Requests: 1, Per: time.Hour, Burst: 5} }), nil)
	for i := range 20 {
		e.from("198.51.100.7:4000", pullAlice, "alice", fmt.Sprintf("guess-%d", i))
	}
	want429(t, e.from("198.51.100.7:4000", pullAlice, "alice", "alice-pw"))
	// The real user, elsewhere, is not locked out, not even on first login.
	decodeToken(t, e.from("203.0.113.5:1", pullAlice, "alice", "alice-pw"), e.key)
	// The attacker's other usernames are limited separately: bob works.
	decodeToken(t, e.from("198.51.100.7:4000", pullAlice, "bob", "bob-pw"), e.key)
}

func TestSuccessesDoNotUseUpTheFailureBudget(t *testing.T) {
	e := limitedEnv(t, onlyLimit(func(c *RateLimitConfig) { c.FailuresPerUser = Limit{Requests: 1, Per: time.Hour, Burst: 2} }), nil)
	for range 10 {
		decodeToken(t, e.from("203.0.113.5:1", pullAlice, "alice", "alice-pw"), e.key)
	}
}

func TestXForwardedForCountsOnlyFromATrustedProxy(t *testing.T) {
	lim := Limit{Requests: 1, Per: time.Hour, Burst: 1}
	t.Run("untrusted peer", func(t *testing.T) {
		e := limitedEnv(t, onlyLimit(func(c *RateLimitConfig) { c.PerAddress = lim }), nil)
		decodeToken(t, e.from("198.51.100.7:1", pullPublic, "", "", "X-Forwarded-For: 10.0.0.1"), e.key)
		// A forged header does not buy a fresh bucket.
		want429(t, e.from("198.51.100.7:1", pullPublic, "", "", "X-Forwarded-For: 10.0.0.2"))
	})
	t.Run("trusted proxy", func(t *testing.T) {
		e := limitedEnv(t, onlyLimit(func(c *RateLimitConfig) {
			c.PerAddress = lim
			c.TrustedProxies = []string{"192.0.2.0/24"}
		}), nil)
		decodeToken(t, e.from("192.0.2.1:1", pullPublic, "", "", "X-Forwarded-For: 10.0.0.1"), e.key)
		decodeToken(t, e.from("192.0.2.1:1", pullPublic, "", "", "X-Forwarded-For: 10.0.0.2"), e.key)
		want429(t, e.from("192.0.2.2:1", pullPublic, "", "", "X-Forwarded-For: 10.0.0.1"))
		// The client's own entries left of the proxy's are not believed.
		want429(t, e.from("192.0.2.1:1", pullPublic, "", "", "X-Forwarded-For: 10.9.9.9, 10.0.0.1"))
	})
}

func TestAnIdentityIsLimitedInTokensIssued(t *testing.T) {
	e := limitedEnv(t, onlyLimit(func(c *RateLimitConfig) { c.PerIdentity = Limit{Requests: 1, Per: time.Hour, Burst: 3} }), nil)
	for i := range 3 {
		decodeToken(t, e.from(fmt.Sprintf("203.0.113.%d:1", i), pullAlice, "alice", "alice-pw"), e.key)
	}
	want429(t, e.from("203.0.113.50:1", pullAlice, "alice", "alice-pw"))
	decodeToken(t, e.from("203.0.113.50:1", pullAlice, "bob", "bob-pw"), e.key)
	decodeToken(t, e.from("203.0.113.50:1", pullPublic, "", ""), e.key)
}

func TestTheProviderFailureLimitRefusesCacheMissesButNotCachedCredentials(t *testing.T) {
	e := limitedEnv(t, onlyLimit(func(c *RateLimitConfig) { c.FailuresPerProvider = Limit{Requests: 1, Per: time.Hour, Burst: 5} }), nil)
	decodeToken(t, e.from("203.0.113.5:1", pullAlice, "alice", "alice-pw"), e.key)
	for i := range 5 {
		e.from(fmt.Sprintf("198.51.100.%d:1", i), pullAlice, "alice", fmt.Sprintf("guess-%d", i))
	}
	calls := e.prov.calls.Load()
	want429(t, e.from("198.51.100.99:1", pullAlice, "alice", "another guess"))
	want429(t, e.from("203.0.113.6:1", pullAlice, "bob", "bob-pw"))
	if got := e.prov.calls.Load(); got != calls {
		t.Fatalf("provider called %d times over the limit", got-calls)
	}
	decodeToken(t, e.from("203.0.113.5:1", pullAlice, "alice", "alice-pw"), e.key)
}

func TestProviderCallsBeyondTheBoundAndQueueGet503AtOnce(t *testing.T) {
	e := limitedEnv(t, onlyLimit(func(c *RateLimitConfig) {
		c.Concurrency = ConcurrencyConfig{PasswordHashing: 1, Queue: 1, MaxWait: time.Minute}
	}), nil)
	release := make(chan struct{})
	var started atomic.Int64
	st := e.srv.State()
	st.router.all[0].Provider = &blockingProvider{fakeProvider: e.prov, release: release, started: &started}
	done := make(chan int, 2)
	for i := range 2 {
		go func() { done <- e.from("203.0.113.5:1", pullAlice, "alice", fmt.Sprintf("pw-%d", i)).Code }()
	}
	waitFor(t, func() bool { return started.Load() == 1 && e.srv.opts.Abuse.gate(st.router.all[0]).waiting.Load() == 1 })
	start := time.Now()
	w := e.from("203.0.113.5:1", pullAlice, "alice", "pw-third")
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Fatalf("status %d Retry-After %q, want 503 with Retry-After", w.Code, w.Header().Get("Retry-After"))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the refusal took %s", d)
	}
	close(release)
	for range 2 {
		if code := <-done; code != http.StatusUnauthorized {
			t.Fatalf("queued request: status %d", code)
		}
	}
}

// blockingProvider holds every call until release is closed.
type blockingProvider struct {
	*fakeProvider
	release chan struct{}
	started *atomic.Int64
}

func (b *blockingProvider) Authenticate(ctx context.Context, cred providers.Credential) (providers.Identity, error) {
	b.started.Add(1)
	<-b.release
	return b.fakeProvider.Authenticate(ctx, cred)
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestLimitedRequestsAreCountedAsRateLimitedAndAuditedAsLimited(t *testing.T) {
	e := limitedEnv(t, onlyLimit(func(c *RateLimitConfig) { c.PerAddress = Limit{Requests: 1, Per: time.Hour, Burst: 1} }), nil)
	m := NewMetrics()
	e.srv.opts.Observer = Observers{e.events, m}
	e.from("198.51.100.7:1", pullAlice, "alice", "x")
	want429(t, e.from("198.51.100.7:1", pullAlice, "alice", "y"))
	ev := e.events.ev[len(e.events.ev)-1]
	if ev.Outcome != OutcomeLimited || ev.Reason != ReasonRateLimited || ev.Status != http.StatusTooManyRequests {
		t.Fatalf("event outcome %q reason %q status %d", ev.Outcome, ev.Reason, ev.Status)
	}
	body := httptestGet(m.Handler(), "/metrics").Body.String()
	if !strings.Contains(body, `registry_token_rejected_total{provider="none",reason="rate_limited",service="registry.test"} 1`) {
		t.Fatalf("metrics:\n%s", grepLines(body, "rejected"))
	}
	m.Registry().MustRegister(e.srv.opts.Abuse)
	body = httptestGet(m.Handler(), "/metrics").Body.String()
	if !strings.Contains(body, `regbridge_rate_limited_total{limit="per_address"} 1`) {
		t.Fatalf("metrics:\n%s", grepLines(body, "rate_limit"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
