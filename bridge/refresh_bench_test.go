package bridge

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/regbridge/regbridge/acl"
	"github.com/regbridge/regbridge/bridge/signing"
	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/oidc"
	"github.com/regbridge/regbridge/providers/oidc/oidctest"
	"github.com/regbridge/regbridge/state"
)

// The cost of one refresh-token redemption against one fresh login with a
// new ID token, both through the whole handler for the same push scope, with
// a real oidc provider verifying RS256 ID tokens of an in-process issuer
// (discovery and keys fetched before the timer starts).

const benchRefreshAudience = "registry.bench"

const benchRefreshPolicy = `version: 1
rules:
  - id: ci
    who: [ci]
    grant:
      - {repository: "org/app/**", actions: [pull, push]}
`

const benchRefreshScope = "repository:org/app/image:pull,push"

// benchRefreshServer is a server with an oidc provider "ci" that issues
// refresh tokens (identity mode, in-memory state), and its issuer.
func benchRefreshServer(b *testing.B) (*Server, *oidctest.Issuer) {
	b.Helper()
	is := oidctest.New(b, oidctest.Options{})
	prov, err := oidc.New("ci", oidc.Config{Issuer: is.Issuer(), Audiences: []string{benchRefreshAudience}, Usernames: []string{"ci"}},
		providers.Deps{HTTPClient: &http.Client{Timeout: 5 * time.Second}, Now: time.Now})
	if err != nil {
		b.Fatal(err)
	}
	pol, err := acl.Parse([]byte(benchRefreshPolicy), "policy.yaml", acl.Options{Providers: map[string]providers.PolicyFacts{"ci": {Type: "oidc"}}})
	if err != nil {
		b.Fatal(err)
	}
	st, err := NewState(StateConfig{
		Services:  []Service{{Name: "registry.bench", Issuer: "regbridge-bench"}},
		Keys:      []*signing.Key{testKey(b)},
		Providers: []*Registered{{ID: "ci", Provider: prov}},
		Policy:    pol,
		Cache:     NewCredentialCache(CacheConfig{}.WithDefaults(), time.Now),
		Refresh:   map[string]RefreshPolicy{"ci": {Enabled: true, TTL: time.Hour, Idle: 30 * time.Minute, Mode: RefreshIdentity}},
	})
	if err != nil {
		b.Fatal(err)
	}
	srv := NewServer(st, Options{PublicURL: "http://127.0.0.1:5001", RefreshStore: state.NewMemoryRefresh(1000, time.Now)})
	return srv, is
}

// benchIDToken is a new ID token of the issuer, valid for 90 s.
func benchIDToken(is *oidctest.Issuer) string {
	return is.Mint(is.Claims(benchRefreshAudience, time.Now(), 90*time.Second))
}

// benchServe runs r and requires status 200.
func benchServe(b *testing.B, srv *Server, r *http.Request) *httptest.ResponseRecorder {
	b.Helper()
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		b.Fatalf("status %d: %s", w.Code, w.Body)
	}
	return w
}

// BenchmarkFreshLogin is what a client does without a refresh token: a GET
// with a new ID token as the password (a credential-cache miss: signature
// and claims verified), decide, sign. The ID tokens and requests are made
// before the timer starts.
func BenchmarkFreshLogin(b *testing.B) {
	srv, is := benchRefreshServer(b)
	benchServe(b, srv, benchLoginRequest(benchIDToken(is)))
	reqs := make([]*http.Request, b.N)
	for i := range reqs {
		reqs[i] = benchLoginRequest(benchIDToken(is))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		benchServe(b, srv, reqs[i])
	}
}

func benchLoginRequest(idToken string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/token?service=registry.bench&scope="+url.QueryEscape(benchRefreshScope), nil)
	r.SetBasicAuth("ci", idToken)
	return r
}

// BenchmarkRefreshRedeem is one POST grant_type=refresh_token for the same
// scope: open the seal, check revocations and the idle timeout in memory,
// decide with the current policy, sign.
func BenchmarkRefreshRedeem(b *testing.B) {
	srv, is := benchRefreshServer(b)
	login := httptest.NewRequest(http.MethodGet, "/token?service=registry.bench&client_id=docker&offline_token=true&account=ci", nil)
	login.SetBasicAuth("ci", benchIDToken(is))
	var body struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.Unmarshal(benchServe(b, srv, login).Body.Bytes(), &body); err != nil || body.RefreshToken == "" {
		b.Fatalf("login gave no refresh token (%v)", err)
	}
	form := []byte(url.Values{"grant_type": {GrantRefreshToken}, "refresh_token": {body.RefreshToken},
		"service": {"registry.bench"}, "client_id": {"go-containerregistry"}, "scope": {benchRefreshScope}}.Encode())
	reqs := make([]*http.Request, b.N)
	for i := range reqs {
		reqs[i] = httptest.NewRequest(http.MethodPost, "/token", bytes.NewReader(form))
		reqs[i].Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		benchServe(b, srv, reqs[i])
	}
}
