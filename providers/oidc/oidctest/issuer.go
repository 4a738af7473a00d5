// Package oidctest is a fake OpenID Connect issuer for tests: an httptest
// server on loopback that serves discovery and a JWKS, rotates keys, counts
// the requests it receives and mints tokens with any header and claims.
//
// It is test tooling. Keys are generated at test time and nothing here is
// suitable for production.
package oidctest

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Options shape a fake issuer.
type Options struct {
	// Path is appended to the server URL to form the issuer ("/api/actions"
	// for a Forgejo-shaped issuer). Empty means the bare server URL.
	Path string
	// TrailingSlash appends "/" to the issuer string (the zitadel form).
	TrailingSlash bool
	// Alg is the algorithm of the first signing key (default RS256).
	Alg string
}

// Issuer is a running fake issuer.
type Issuer struct {
	srv    *httptest.Server
	issuer string
	base   string // issuer without a trailing slash

	mu        sync.Mutex
	published []*Key
	signer    *Key
	serial    int
	counts    map[string]int
	discovery map[string]any
	handlers  map[string]http.Handler
}

// New starts a fake issuer on loopback; it stops when the test ends.
func New(t testing.TB, opts Options) *Issuer {
	t.Helper()
	if opts.Alg == "" {
		opts.Alg = "RS256"
	}
	is := &Issuer{counts: map[string]int{}, discovery: map[string]any{}, handlers: map[string]http.Handler{}}
	is.srv = httptest.NewServer(http.HandlerFunc(is.serve))
	t.Cleanup(is.srv.Close)
	is.base = is.srv.URL + strings.TrimSuffix(opts.Path, "/")
	is.issuer = is.base
	if opts.TrailingSlash {
		is.issuer += "/"
	}
	k, err := NewKey(opts.Alg, is.nextKID())
	if err != nil {
		t.Fatal(err)
	}
	is.published = []*Key{k}
	is.signer = k
	return is
}

// Issuer returns the exact issuer string (`iss`).
func (is *Issuer) Issuer() string { return is.issuer }

// ServerURL is the origin of the fake's HTTP server (the issuer may have a
// path below it).
func (is *Issuer) ServerURL() string { return is.srv.URL }

// DiscoveryPath is the path of the discovery document.
func (is *Issuer) DiscoveryPath() string {
	return strings.TrimPrefix(is.base, is.srv.URL) + "/.well-known/openid-configuration"
}

// JWKSPath is the path of the JWKS.
func (is *Issuer) JWKSPath() string { return strings.TrimPrefix(is.base, is.srv.URL) + "/keys" }

// JWKSURI returns the absolute URL of the JWKS.
func (is *Issuer) JWKSURI() string { return is.srv.URL + is.JWKSPath() }

func (is *Issuer) nextKID() string {
	is.serial++
	return fmt.Sprintf("key-%d", is.serial)
}

// Signer returns the key new tokens are signed with.
func (is *Issuer) Signer() *Key {
	is.mu.Lock()
	defer is.mu.Unlock()
	return is.signer
}

// Rotate generates a new key for alg, publishes it next to the old ones and
// makes it the signer.
func (is *Issuer) Rotate(alg string) *Key {
	is.mu.Lock()
	defer is.mu.Unlock()
	k, err := NewKey(alg, is.nextKID())
	if err != nil {
		panic(err)
	}
	is.published = append(is.published, k)
	is.signer = k
	return k
}

// SetPublished replaces the published keys (an empty list publishes an empty
// key set). The signer is unchanged.
func (is *Issuer) SetPublished(keys ...*Key) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.published = keys
}

// SetDiscovery overrides (or, with a nil value, removes) a member of the
// discovery document.
func (is *Issuer) SetDiscovery(name string, value any) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.discovery[name] = value
}

// Handle serves path with h instead of the built-in handler (a redirect, an
// error, an oversized body). A nil h restores the default.
func (is *Issuer) Handle(path string, h http.Handler) {
	is.mu.Lock()
	defer is.mu.Unlock()
	if h == nil {
		delete(is.handlers, path)
		return
	}
	is.handlers[path] = h
}

// Requests returns how many requests path has received.
func (is *Issuer) Requests(path string) int {
	is.mu.Lock()
	defer is.mu.Unlock()
	return is.counts[path]
}

// JWKSRequests returns how many requests the JWKS path has received.
func (is *Issuer) JWKSRequests() int { return is.Requests(is.JWKSPath()) }

// TotalRequests returns how many requests the server has received.
func (is *Issuer) TotalRequests() int {
	is.mu.Lock()
	defer is.mu.Unlock()
	n := 0
	for _, c := range is.counts {
		n += c
	}
	return n
}

func (is *Issuer) serve(w http.ResponseWriter, r *http.Request) {
	is.mu.Lock()
	is.counts[r.URL.Path]++
	h := is.handlers[r.URL.Path]
	is.mu.Unlock()
	if h != nil {
		h.ServeHTTP(w, r)
		return
	}
	switch r.URL.Path {
	case is.DiscoveryPath():
		is.serveDiscovery(w)
	case is.JWKSPath():
		is.mu.Lock()
		body := JWKS(is.published...)
		is.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	default:
		http.NotFound(w, r)
	}
}

func (is *Issuer) serveDiscovery(w http.ResponseWriter) {
	doc := map[string]any{
		"issuer":                                is.issuer,
		"jwks_uri":                              is.JWKSURI(),
		"authorization_endpoint":                is.base + "/auth",
		"token_endpoint":                        is.base + "/token",
		"response_types_supported":              []string{"id_token"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256", "HS256", "none"},
	}
	is.mu.Lock()
	for k, v := range is.discovery {
		if v == nil {
			delete(doc, k)
			continue
		}
		doc[k] = v
	}
	is.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(doc)
}

// Claims returns a standard claim set from this issuer for aud, issued at
// now and valid for ttl, with a fresh jti. Callers add or delete members.
func (is *Issuer) Claims(aud string, now time.Time, ttl time.Duration) map[string]any {
	is.mu.Lock()
	is.serial++
	jti := fmt.Sprintf("jti-%d-%d", now.UnixNano(), is.serial)
	is.mu.Unlock()
	return map[string]any{
		"iss": is.issuer,
		"sub": "subject-1",
		"aud": aud,
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"exp": now.Add(ttl).Unix(),
		"jti": jti,
	}
}

// Mint signs claims with the current signer, header {alg, kid, typ: JWT}.
func (is *Issuer) Mint(claims map[string]any) string {
	k := is.Signer()
	return MintWith(k, map[string]any{"alg": k.Alg, "kid": k.ID, "typ": "JWT"}, claims)
}

// MintWith signs claims with k under exactly the given header (its "alg"
// chooses the algorithm; "none" and HS* are honoured as the test asks).
func MintWith(k *Key, header, claims map[string]any) string {
	h, err := json.Marshal(header)
	if err != nil {
		panic(err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		panic(err)
	}
	alg, _ := header["alg"].(string)
	tok, err := SignRaw(k, alg, nil, h, c)
	if err != nil {
		panic(err)
	}
	return tok
}

// Clone returns a shallow copy of a claim set, so fixtures can be varied.
func Clone(claims map[string]any) map[string]any { return maps.Clone(claims) }
