package bridge

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestTheMemoryStoreAllowsTheBurstThenOneRequestPerInterval(t *testing.T) {
	now := testNow
	m := NewMemoryLimitStore(0, func() time.Time { return now })
	ctx := context.Background()
	take := func(cost int) (bool, time.Duration) {
		ok, retry, err := m.Take(ctx, "k", time.Second, 3, cost)
		if err != nil {
			t.Fatal(err)
		}
		return ok, retry
	}
	for i := range 3 {
		if ok, _ := take(1); !ok {
			t.Fatalf("request %d of the burst refused", i)
		}
	}
	if ok, retry := take(1); ok || retry != time.Second {
		t.Fatalf("over the burst: ok %v retry %s, want refused with 1s", ok, retry)
	}
	if ok, _ := take(0); ok {
		t.Fatal("a peek over the burst was allowed")
	}
	now = now.Add(time.Second)
	if ok, _ := take(0); !ok {
		t.Fatal("a peek after one interval was refused")
	}
	if ok, _ := take(1); !ok {
		t.Fatal("a request after one interval was refused")
	}
	if ok, _ := take(1); ok {
		t.Fatal("a second request in the same interval was allowed")
	}
}

func TestAPeekChargesNothing(t *testing.T) {
	m := NewMemoryLimitStore(0, func() time.Time { return testNow })
	for range 100 {
		if ok, _, _ := m.Take(context.Background(), "k", time.Hour, 1, 0); !ok {
			t.Fatal("peek refused")
		}
	}
}

func TestTheClientAddressIsThePeerUnlessItIsATrustedProxy(t *testing.T) {
	trusted, _ := parsePrefixes([]string{"192.0.2.0/24", "2001:db8::1"})
	c := clientResolver{trusted: trusted, ipv6Prefix: 64}
	tests := []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"untrusted peer, header ignored", "198.51.100.1:5", []string{"10.0.0.1"}, "198.51.100.1"},
		{"trusted peer, rightmost entry", "192.0.2.1:5", []string{"10.0.0.1"}, "10.0.0.1"},
		{"trusted chain skipped", "192.0.2.1:5", []string{"10.0.0.1, 192.0.2.7"}, "10.0.0.1"},
		{"client-written entries ignored", "192.0.2.1:5", []string{"1.1.1.1, 10.0.0.1"}, "10.0.0.1"},
		{"several header lines", "192.0.2.1:5", []string{"10.0.0.1", "192.0.2.9"}, "10.0.0.1"},
		{"garbage stops at the last proxy", "192.0.2.1:5", []string{"10.0.0.1, nonsense, 192.0.2.9"}, "192.0.2.9"},
		{"no header", "192.0.2.1:5", nil, "192.0.2.1"},
		{"ipv6 trusted peer", "[2001:db8::1]:5", []string{"2001:db8:aa::5"}, "2001:db8:aa::5"},
		{"ipv4-mapped peer", "[::ffff:198.51.100.1]:5", nil, "198.51.100.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/token", nil)
			r.RemoteAddr = tt.peer
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			got, ok := c.client(r)
			if !ok || got != netip.MustParseAddr(tt.want) {
				t.Fatalf("client %v %v, want %s", got, ok, tt.want)
			}
		})
	}
}

func TestIPv6ClientsShareTheBucketOfTheirPrefix(t *testing.T) {
	c := clientResolver{ipv6Prefix: 64}
	a := c.bucket(netip.MustParseAddr("2001:db8:1:2::1"))
	b := c.bucket(netip.MustParseAddr("2001:db8:1:2:ffff::9"))
	other := c.bucket(netip.MustParseAddr("2001:db8:1:3::1"))
	if a != b || a == other {
		t.Fatalf("buckets %q %q %q", a, b, other)
	}
}

func FuzzForwardedFor(f *testing.F) {
	for _, s := range []string{"10.0.0.1", "10.0.0.1, 192.0.2.1", "[::1]:80, x", "", ",,,", "::ffff:1.2.3.4%eth0"} {
		f.Add(s)
	}
	trusted, _ := parsePrefixes([]string{"192.0.2.0/24"})
	c := clientResolver{trusted: trusted, ipv6Prefix: 64}
	peer := netip.MustParseAddr("192.0.2.1")
	f.Fuzz(func(t *testing.T, h string) {
		got := c.forwardedFor(peer, []string{h})
		if !got.IsValid() || got.Zone() != "" {
			t.Fatalf("client %v from %q", got, h)
		}
		if got == peer {
			return
		}
		for _, part := range strings.Split(h, ",") {
			if a, ok := parseHostAddr(strings.TrimSpace(part)); ok && a == got {
				return
			}
		}
		t.Fatalf("client %v is neither the peer nor an entry of %q", got, h)
	})
}

// failingStore is a shared store that is down.
type failingStore struct{ calls int }

func (f *failingStore) Take(context.Context, string, time.Duration, int, int) (bool, time.Duration, error) {
	f.calls++
	return false, 0, errors.New("connection refused")
}

func TestWhenTheSharedStoreIsDownLimitsFollowOnStateError(t *testing.T) {
	lim := Limit{Requests: 1, Per: time.Hour, Burst: 2}
	t.Run("closed answers 503 before any provider call", func(t *testing.T) {
		e := limitedEnv(t, onlyLimit(func(c *RateLimitConfig) { c.PerAddress, c.OnStateError = lim, OnStateErrorClosed }), &failingStore{})
		w := e.from("203.0.113.5:1", pullAlice, "alice", "alice-pw")
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
			t.Fatalf("status %d Retry-After %q", w.Code, w.Header().Get("Retry-After"))
		}
		if e.prov.calls.Load() != 0 {
			t.Fatal("the provider was called")
		}
		if ev := e.events.ev[0]; ev.Reason != ReasonLimitStateUnavailable || ev.Outcome != OutcomeLimited {
			t.Fatalf("event reason %q outcome %q", ev.Reason, ev.Outcome)
		}
		d := e.srv.opts.Abuse.ReadyDetail(context.Background()).(map[string]any)
		if d["healthy"] != false || d["state_errors_total"] != uint64(1) {
			t.Fatalf("ready detail %v", d)
		}
	})
	t.Run("local falls back to this replica's bucket", func(t *testing.T) {
		e := limitedEnv(t, onlyLimit(func(c *RateLimitConfig) { c.PerAddress, c.OnStateError = lim, OnStateErrorLocal }), &failingStore{})
		for range 2 {
			decodeToken(t, e.from("203.0.113.5:1", pullAlice, "alice", "alice-pw"), e.key)
		}
		want429(t, e.from("203.0.113.5:1", pullAlice, "alice", "alice-pw"))
	})
	t.Run("a limit's own setting overrides the default", func(t *testing.T) {
		l := lim
		l.OnStateError = OnStateErrorLocal
		e := limitedEnv(t, onlyLimit(func(c *RateLimitConfig) { c.PerAddress, c.OnStateError = l, OnStateErrorClosed }), &failingStore{})
		decodeToken(t, e.from("203.0.113.5:1", pullAlice, "alice", "alice-pw"), e.key)
	})
}

func TestRateLimitConfigValidationNamesEveryProblem(t *testing.T) {
	c := RateLimitConfig{Enabled: true, TrustedProxies: []string{"10.0.0.0/8", "not-an-ip"}, OnStateError: "open",
		PerAddress: Limit{Requests: 5, Per: -time.Second, Burst: 1}}.WithDefaults()
	err := c.Validate()
	for _, want := range []string{`trusted_proxies: "not-an-ip"`, `on_state_error: "open"`, "per_address.per"} {
		if err == nil || !contains(err.Error(), want) {
			t.Fatalf("error %v does not name %q", err, want)
		}
	}
	if err := (RateLimitConfig{Enabled: true}).WithDefaults().Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
}
