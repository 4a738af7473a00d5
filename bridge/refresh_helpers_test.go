package bridge

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	crand "crypto/rand"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/regbridge/regbridge/acl"
	"github.com/regbridge/regbridge/bridge/signing"
	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/state"
)

// refreshPolicyYAML: the CI provider pushes to its own repository, the
// static users push to their own.
const refreshPolicyYAML = `version: 1
rules:
  - id: ci-own
    who: [ci]
    when: {claims: {repository: org/app}}
    grant:
      - {repository: "org/app/**", actions: [pull, push]}
  - id: users-own
    who: [users]
    when: {username: alice}
    grant:
      - {repository: "alice/**", actions: [pull, push]}
`

// refreshNarrowedYAML takes push away from the CI job.
const refreshNarrowedYAML = `version: 1
rules:
  - id: ci-own
    who: [ci]
    when: {claims: {repository: org/app}}
    grant:
      - {repository: "org/app/**", actions: [pull]}
`

// ciProvider stands in for an OIDC provider: the password "id-token-N"
// is an ID token of job N that expires idLife after it was minted.
type ciProvider struct {
	mu      sync.Mutex
	now     func() time.Time
	life    time.Duration
	revoked map[string]bool
	calls   int
}

func (p *ciProvider) Authenticate(_ context.Context, cred providers.Credential) (providers.Identity, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	tok := cred.Secret.Reveal()
	if len(tok) < len("id-token-") || tok[:len("id-token-")] != "id-token-" || p.revoked[tok] {
		return providers.Identity{}, providers.ErrInvalidCredential
	}
	return providers.Identity{
		Subject: "repo:org/app:ref:refs/heads/main", Username: "ci",
		Claims: map[string]any{"repository": "org/app", "run_id": tok[len("id-token-"):], "exp": json.Number("1"), "jti": "x"},
		Expiry: p.now().Add(p.life),
	}, nil
}

func (p *ciProvider) Route() providers.Route { return providers.Route{Usernames: []string{"ci"}} }

// refreshEnv is a bridge with a CI provider (identity mode) and static
// users (credential mode), a settable clock and an in-memory refresh store.
type refreshEnv struct {
	t      testing.TB
	mu     sync.Mutex
	now    time.Time
	srv    *Server
	ci     *ciProvider
	users  *fakeProvider
	key    *signing.Key
	store  RefreshStore
	events *eventLog
	log    *bytes.Buffer
	cfg    StateConfig
}

func (e *refreshEnv) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *refreshEnv) advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

func refreshPolicies() map[string]RefreshPolicy {
	return map[string]RefreshPolicy{
		"ci":    {Enabled: true, TTL: 2 * time.Hour, Idle: 30 * time.Minute, Mode: RefreshIdentity},
		"users": {Enabled: true, TTL: time.Hour, Idle: 30 * time.Minute, Mode: RefreshCredential},
	}
}

func parseRefreshPolicy(t testing.TB, src string) *acl.Policy {
	t.Helper()
	pol, err := acl.Parse([]byte(src), "policy.yaml", acl.Options{Providers: map[string]providers.PolicyFacts{
		"users": {Type: "static"}, "ci": {Type: "oidc"}}})
	if err != nil {
		t.Fatal(err)
	}
	return pol
}

// newRefreshEnv builds the bridge; store nil means a fresh in-memory one.
func newRefreshEnv(t testing.TB, pols map[string]RefreshPolicy, store RefreshStore, key *signing.Key) *refreshEnv {
	t.Helper()
	e := &refreshEnv{t: t, now: testNow, events: &eventLog{}, log: &bytes.Buffer{}}
	e.ci = &ciProvider{now: e.clock, life: 90 * time.Second, revoked: map[string]bool{}}
	e.users = &fakeProvider{users: map[string]string{"alice": "alice-pw"}}
	if key == nil {
		key = testKey(t)
	}
	e.key = key
	if store == nil {
		store = state.NewMemoryRefresh(1000, e.clock)
	}
	e.store = store
	e.cfg = StateConfig{
		Services:  []Service{{Name: "registry.test", Issuer: "regbridge-test"}, {Name: "other.test", Issuer: "regbridge-test"}},
		Keys:      []*signing.Key{key},
		Providers: []*Registered{{ID: "users", Provider: e.users}, {ID: "ci", Provider: e.ci}},
		Policy:    parseRefreshPolicy(t, refreshPolicyYAML),
		Cache:     NewCredentialCache(CacheConfig{}.WithDefaults(), e.clock),
		Refresh:   pols,
	}
	st, err := NewState(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = NewServer(st, Options{
		Logger:       slog.New(slog.NewJSONHandler(&syncWriter{w: e.log}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:          e.clock,
		Observer:     Observers{e.events, NewAuditLog(&syncWriter{w: e.log})},
		RefreshStore: store,
	})
	return e
}

// login is docker login: GET with Basic, client_id=docker,
// offline_token=true, no scope.
func (e *refreshEnv) login(user, pass string) *httptest.ResponseRecorder {
	e.t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/token?service=registry.test&client_id=docker&offline_token=true&account="+user, nil)
	r.SetBasicAuth(user, pass)
	w := httptest.NewRecorder()
	e.srv.ServeHTTP(w, r)
	return w
}

// mustLogin logs in and returns the refresh token.
func (e *refreshEnv) mustLogin(user, pass string) string {
	e.t.Helper()
	w := e.login(user, pass)
	if w.Code != http.StatusOK {
		e.t.Fatalf("login: %d %s", w.Code, w.Body)
	}
	var body struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.RefreshToken == "" {
		e.t.Fatalf("login gave no refresh token: %s", w.Body)
	}
	return body.RefreshToken
}

// redeem is crane with an identity token: POST grant_type=refresh_token.
func (e *refreshEnv) redeem(rt, service, clientID, scope string) *httptest.ResponseRecorder {
	e.t.Helper()
	form := url.Values{"grant_type": {GrantRefreshToken}, "refresh_token": {rt}, "service": {service}, "client_id": {clientID}}
	if scope != "" {
		form.Set("scope", scope)
	}
	r := httptest.NewRequest(http.MethodPost, "/token", bytes.NewReader([]byte(form.Encode())))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	e.srv.ServeHTTP(w, r)
	return w
}

// lastEvent is the last observed event.
func (e *refreshEnv) lastEvent() Event {
	e.t.Helper()
	e.events.mu.Lock()
	defer e.events.mu.Unlock()
	if len(e.events.ev) == 0 {
		e.t.Fatal("no event")
	}
	return e.events.ev[len(e.events.ev)-1]
}

// refusedWith checks a 401 invalid_grant with the given audit reason.
func (e *refreshEnv) refusedWith(w *httptest.ResponseRecorder, reason string) {
	e.t.Helper()
	if w.Code != http.StatusUnauthorized {
		e.t.Fatalf("status %d, want 401: %s", w.Code, w.Body)
	}
	var body struct {
		Token       string `json:"token"`
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
		Details     string `json:"details"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		e.t.Fatal(err)
	}
	if body.Token != "" || body.AccessToken != "" {
		e.t.Fatal("a refusal carried a token")
	}
	if ev := e.lastEvent(); ev.Reason != reason {
		e.t.Errorf("reason %q, want %q (%s)", ev.Reason, reason, body.Details)
	}
	if body.Details == "" {
		e.t.Error("the refusal does not say why")
	}
}

// freshKey is a new random P-256 key, unlike testKey's fixed one.
func freshKey(t testing.TB) *signing.Key {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return certifiedKey(t, priv)
}

// post sends a form body to /token.
func (e *refreshEnv) post(t testing.TB, body string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/token", bytes.NewReader([]byte(body)))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	e.srv.ServeHTTP(w, r)
	return w
}
