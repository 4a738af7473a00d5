package bridge

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/regbridge/regbridge/acl"
	"github.com/regbridge/regbridge/bridge/signing"
	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/static"
)

// The policy decision alone is measured by acl's own benchmarks; these
// measure the bridge around it: parsing, minting, the credential cache and
// the whole handler.

// benchPolicy has n rules: public pull, the users' bench namespace, and n-2
// rules for other namespaces (the shape of a large site policy).
func benchPolicy(n int) string {
	var b strings.Builder
	b.WriteString(`version: 1
rules:
  - id: bench-public
    who: anyone
    grant:
      - {repository: "public/**", actions: [pull]}
  - id: bench-users
    who: [users]
    grant:
      - {repository: "bench/**", actions: [pull, push]}
`)
	for i := 0; i < n-2; i++ {
		fmt.Fprintf(&b, "  - id: team-%d\n    who: [users]\n    when: {username: user%d}\n    grant:\n      - {repository: \"team%d/**\", actions: [pull, push]}\n", i, i, i)
	}
	return b.String()
}

// staticProvider writes an htpasswd file of users with password pw at the
// cheapest bcrypt cost and returns the static provider and a compare counter.
func staticProvider(tb testing.TB, pw string, users ...string) *countingProvider {
	tb.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		tb.Fatal(err)
	}
	var b strings.Builder
	for _, u := range users {
		fmt.Fprintf(&b, "%s:%s\n", u, hash)
	}
	path := filepath.Join(tb.TempDir(), "htpasswd")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		tb.Fatal(err)
	}
	p, err := static.New("users", static.Config{Htpasswd: path}, providers.Deps{})
	if err != nil {
		tb.Fatal(err)
	}
	return &countingProvider{Provider: p}
}

// countingProvider counts Authenticate calls: for the static provider each
// one is exactly one bcrypt compare.
type countingProvider struct {
	*static.Provider
	calls atomic.Int64
}

func (c *countingProvider) Authenticate(ctx context.Context, cred providers.Credential) (providers.Identity, error) {
	c.calls.Add(1)
	return c.Provider.Authenticate(ctx, cred)
}

// benchServer is a server with the static provider, policy of n rules, and
// the given reuse configuration.
func benchServer(tb testing.TB, rules int, reuse ReuseConfig, prov providers.Provider) *Server {
	tb.Helper()
	pol, err := acl.Parse([]byte(benchPolicy(rules)), "policy.yaml", acl.Options{Providers: map[string]providers.PolicyFacts{"users": {Type: "static", Claims: []string{"robot"}}}})
	if err != nil {
		tb.Fatal(err)
	}
	st, err := NewState(StateConfig{
		Services:  []Service{{Name: "registry.bench", Issuer: "regbridge-bench"}},
		Keys:      []*signing.Key{testKey(tb)},
		Providers: []*Registered{{ID: "users", Provider: prov}},
		Policy:    pol,
		Cache:     NewCredentialCache(CacheConfig{}.WithDefaults(), time.Now),
	})
	if err != nil {
		tb.Fatal(err)
	}
	return NewServer(st, Options{PublicURL: "http://127.0.0.1:5001", Reuse: reuse})
}

func benchRequest(query, user, pass string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/token?"+query, nil)
	if user != "" {
		r.SetBasicAuth(user, pass)
	}
	return r
}

// discardWriter is a ResponseWriter that keeps only the status, so the
// benchmark counts the handler's allocations, not a recorder's.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(s int)           { w.status = s }

func runHandler(b *testing.B, srv *Server, r *http.Request) {
	b.Helper()
	w := &discardWriter{h: http.Header{}}
	srv.ServeHTTP(w, r)
	if w.status != http.StatusOK {
		b.Fatalf("status %d", w.status)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		clear(w.h)
		srv.ServeHTTP(w, r)
	}
	b.StopTimer()
	if w.status != http.StatusOK {
		b.Fatalf("status %d", w.status)
	}
}

const benchQuery = "service=registry.bench&scope=repository:bench/app:pull,push"

func BenchmarkHandlerAnonymous(b *testing.B) {
	srv := benchServer(b, 10, ReuseConfig{}, staticProvider(b, "pw", "bench"))
	runHandler(b, srv, benchRequest("service=registry.bench&scope=repository:public/app:pull", "", ""))
}

func BenchmarkHandlerCachedStaticUser(b *testing.B) {
	srv := benchServer(b, 10, ReuseConfig{}, staticProvider(b, "bench-pw", "bench"))
	runHandler(b, srv, benchRequest(benchQuery, "bench", "bench-pw"))
}

func BenchmarkHandlerCachedStaticUserTokenReuse(b *testing.B) {
	srv := benchServer(b, 10, ReuseConfig{Enabled: true}, staticProvider(b, "bench-pw", "bench"))
	runHandler(b, srv, benchRequest(benchQuery, "bench", "bench-pw"))
}

func BenchmarkHandlerPolicyRules(b *testing.B) {
	for _, n := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			srv := benchServer(b, n, ReuseConfig{}, staticProvider(b, "bench-pw", "bench"))
			runHandler(b, srv, benchRequest(benchQuery, "bench", "bench-pw"))
		})
	}
}

func BenchmarkParseTokenRequest(b *testing.B) {
	r := benchRequest(benchQuery+"&scope=repository:bench/base:pull&account=bench&client_id=docker", "bench", "bench-pw")
	lim := Limits{}.WithDefaults()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseTokenRequest(r, lim); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseScopes(b *testing.B) {
	in := []string{"repository:bench/app:pull,push repository:library/alpine:pull", "repository:registry.example.com:5000/team/app:pull"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := acl.ParseScopes(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCacheHit(b *testing.B) {
	prov := staticProvider(b, "bench-pw", "bench")
	reg := &Registered{ID: "users", Provider: prov}
	c := NewCredentialCache(CacheConfig{}.WithDefaults(), time.Now)
	cred := providers.Credential{Scheme: providers.SchemeBasic, Username: "bench", Secret: "bench-pw"}
	if _, _, err := c.Authenticate(context.Background(), reg, cred); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, hit, err := c.Authenticate(context.Background(), reg, cred); err != nil || !hit {
			b.Fatal("miss", err)
		}
	}
}

// BenchmarkCachedIdentities100k reports the heap held by 100,000 cached
// identities of the static provider's shape (target: under 150 MiB).
func BenchmarkCachedIdentities100k(b *testing.B) {
	const n = 100_000
	for b.Loop() {
		b.StopTimer()
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		b.StartTimer()
		c := NewCredentialCache(CacheConfig{Size: n, TTL: time.Hour, NegativeTTL: time.Minute}, time.Now)
		for i := range n {
			name := fmt.Sprintf("user%06d", i)
			id := providers.Identity{Provider: "users", Subject: name, Username: name,
				Groups: []string{"developers", "team-" + name[4:7]}, Claims: map[string]any{"robot": false}}
			var key [32]byte
			copy(key[:], fmt.Sprintf("%032d", i))
			c.store(key, id, nil, time.Hour, nil)
		}
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		if c.Len() != n {
			b.Fatalf("cache holds %d identities, want %d", c.Len(), n)
		}
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MiB/100k-identities")
		runtime.KeepAlive(c)
		b.StartTimer()
	}
}

func TestThousandRequestsWithOneBadPasswordMakeOneBcryptCompare(t *testing.T) {
	for _, concurrent := range []bool{false, true} {
		t.Run(map[bool]string{false: "one after another", true: "all at once"}[concurrent], func(t *testing.T) {
			prov := staticProvider(t, "right-pw", "bench")
			srv := benchServer(t, 10, ReuseConfig{}, prov)
			var wg sync.WaitGroup
			var wrong atomic.Int64
			do := func() {
				w := httptest.NewRecorder()
				srv.ServeHTTP(w, benchRequest(benchQuery, "bench", "wrong-pw"))
				if w.Code == http.StatusUnauthorized {
					wrong.Add(1)
				}
			}
			for range 1000 {
				if concurrent {
					wg.Go(do)
				} else {
					do()
				}
			}
			wg.Wait()
			if wrong.Load() != 1000 {
				t.Errorf("%d of 1000 answers were 401", wrong.Load())
			}
			if got := prov.calls.Load(); got != 1 {
				t.Errorf("1000 requests with one bad password made %d bcrypt compares, want 1 per negative TTL", got)
			}
		})
	}
}
