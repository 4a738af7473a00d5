package bridge

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/regbridge/regbridge/state"
	"github.com/regbridge/regbridge/state/redistest"
)

func redisStore(t *testing.T, srv *redistest.Server) *state.Redis {
	t.Helper()
	r, err := state.NewRedis(srv.URL(0), state.Options{Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestTwoReplicasSharingRedisEnforceOneBudget(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	tests := []struct {
		name string
		set  func(*RateLimitConfig)
		send func(e *testEnv, i int) int
	}{
		{"per address", func(c *RateLimitConfig) { c.PerAddress = Limit{Requests: 1, Per: time.Hour, Burst: 6} },
			func(e *testEnv, i int) int { return e.from("198.51.100.7:1", pullPublic, "", "").Code }},
		{"failures per user", func(c *RateLimitConfig) { c.FailuresPerUser = Limit{Requests: 1, Per: time.Hour, Burst: 6} },
			func(e *testEnv, i int) int {
				return e.from("198.51.100.8:1", pullAlice, "alice", fmt.Sprintf("g%d", i)).Code
			}},
		{"per identity", func(c *RateLimitConfig) { c.PerIdentity = Limit{Requests: 1, Per: time.Hour, Burst: 6} },
			func(e *testEnv, i int) int {
				return e.from(fmt.Sprintf("203.0.113.%d:1", i), pullAlice, "bob", "bob-pw").Code
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := redisStore(t, srv).Ping(t.Context()); err != nil {
				t.Fatal(err)
			}
			cfg := onlyLimit(tt.set)
			cfg.OnStateError = OnStateErrorClosed
			// Each replica its own store client, as two processes would have.
			a, b := limitedEnv(t, cfg, redisStore(t, srv)), limitedEnv(t, cfg, redisStore(t, srv))
			passed, limited := 0, 0
			for i := range 20 {
				e := a
				if i%2 == 1 {
					e = b
				}
				switch code := tt.send(e, i); code {
				case http.StatusTooManyRequests:
					limited++
				case http.StatusServiceUnavailable:
					t.Fatalf("request %d: 503", i)
				default:
					passed++
				}
			}
			if passed != 6 || limited != 14 {
				t.Fatalf("%d passed and %d limited over both replicas, want 6 and 14", passed, limited)
			}
		})
	}
}

func TestWithRedisDownLimitsFailClosedOrFallBackAsConfigured(t *testing.T) {
	lim := Limit{Requests: 1, Per: time.Hour, Burst: 2}
	for _, mode := range []string{OnStateErrorClosed, OnStateErrorLocal} {
		t.Run(mode, func(t *testing.T) {
			srv := redistest.Start(t, redistest.Options{})
			store := redisStore(t, srv)
			e := limitedEnv(t, onlyLimit(func(c *RateLimitConfig) { c.PerAddress, c.OnStateError = lim, mode }), store)
			decodeToken(t, e.from("203.0.113.5:1", pullAlice, "alice", "alice-pw"), e.key)
			srv.Stop()
			calls := e.prov.calls.Load()
			w := e.from("203.0.113.5:1", pullAlice, "alice", "other-pw")
			switch mode {
			case OnStateErrorClosed:
				if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
					t.Fatalf("status %d Retry-After %q, want 503 with Retry-After", w.Code, w.Header().Get("Retry-After"))
				}
				if e.prov.calls.Load() != calls {
					t.Fatal("the provider was called with the limit store down")
				}
			case OnStateErrorLocal:
				if w.Code != http.StatusUnauthorized {
					t.Fatalf("status %d, want the provider's 401", w.Code)
				}
				// The local bucket is fresh: one more, then 429.
				e.from("203.0.113.5:1", pullAlice, "alice", "alice-pw")
				want429(t, e.from("203.0.113.5:1", pullAlice, "alice", "alice-pw"))
			}
			d := e.srv.opts.Abuse.ReadyDetail(t.Context()).(map[string]any)
			if d["store"] != "shared" || d["healthy"] != false {
				t.Fatalf("ready detail %v", d)
			}
		})
	}
}
