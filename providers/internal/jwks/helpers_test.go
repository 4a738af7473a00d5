package jwks

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Unix(1_800_000_000, 0)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// issuer is a fake issuer on loopback serving discovery and a JWKS, with
// per-path request counts and replaceable handlers.
type issuer struct {
	srv *httptest.Server

	mu       sync.Mutex
	keys     []jose.JSONWebKey
	counts   map[string]int
	handlers map[string]http.Handler
	jwksURI  string // what discovery names; default the server's /keys
	name     string // what discovery names as issuer; default the issuer
}

const (
	discoveryPath = "/.well-known/openid-configuration"
	keysPath      = "/keys"
)

func newIssuer(t *testing.T) *issuer {
	t.Helper()
	is := &issuer{counts: map[string]int{}, handlers: map[string]http.Handler{}}
	is.srv = httptest.NewServer(http.HandlerFunc(is.serve))
	t.Cleanup(is.srv.Close)
	return is
}

func (is *issuer) URL() string { return is.srv.URL }

func (is *issuer) serve(w http.ResponseWriter, r *http.Request) {
	is.mu.Lock()
	is.counts[r.URL.Path]++
	h := is.handlers[r.URL.Path]
	keys := jose.JSONWebKeySet{Keys: append([]jose.JSONWebKey(nil), is.keys...)}
	jwksURI, name := is.jwksURI, is.name
	is.mu.Unlock()
	if h != nil {
		h.ServeHTTP(w, r)
		return
	}
	switch r.URL.Path {
	case discoveryPath:
		if jwksURI == "" {
			jwksURI = is.srv.URL + keysPath
		}
		if name == "" {
			name = is.srv.URL
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": name, "jwks_uri": jwksURI})
	case keysPath:
		_ = json.NewEncoder(w).Encode(keys)
	default:
		http.NotFound(w, r)
	}
}

// publish replaces the published keys.
func (is *issuer) publish(keys ...jose.JSONWebKey) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.keys = keys
}

// handle serves path with h (nil restores the default).
func (is *issuer) handle(path string, h http.Handler) {
	is.mu.Lock()
	defer is.mu.Unlock()
	if h == nil {
		delete(is.handlers, path)
		return
	}
	is.handlers[path] = h
}

// down makes every path answer 503.
func (is *issuer) down() {
	for _, p := range []string{discoveryPath, keysPath} {
		is.handle(p, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "down", http.StatusServiceUnavailable)
		}))
	}
}

func (is *issuer) requests(path string) int {
	is.mu.Lock()
	defer is.mu.Unlock()
	return is.counts[path]
}

// ecKey is a fresh public P-256 signing key with kid.
func ecKey(t testing.TB, kid string) jose.JSONWebKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return jose.JSONWebKey{Key: &k.PublicKey, KeyID: kid, Algorithm: "ES256", Use: "sig"}
}

func jwksJSON(t testing.TB, keys ...jose.JSONWebKey) []byte {
	t.Helper()
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// discoverySet is a key set of is found by discovery.
func discoverySet(t *testing.T, is *issuer, c *clock, mutate func(*Options)) *Set {
	t.Helper()
	o := Options{Issuer: is.URL(), Discovery: true, Now: c.Now, Timeout: 2 * time.Second}
	if mutate != nil {
		mutate(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// lookup asks s for the keys of kid under ES256.
func lookup(s *Set, kid string) ([]crypto.PublicKey, error) {
	return s.Candidates(context.Background(), "ES256", kid, true)
}

// panicTransport fails the test run on any request.
type panicTransport struct{}

func (panicTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	panic("unexpected request to " + r.URL.String())
}
