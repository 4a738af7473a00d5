package oidc_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/oidc"
	"github.com/regbridge/regbridge/providers/oidc/oidctest"
)

const aud = "registry.example.com"

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

// env is a provider wired to a fake issuer on loopback.
type env struct {
	t      *testing.T
	is     *oidctest.Issuer
	clock  *clock
	cfg    oidc.Config
	p      *oidc.Provider
	replay *providers.MemoryReplay
}

// newEnv starts a fake issuer and a generic provider for it; mutate adjusts
// the configuration before New.
func newEnv(t *testing.T, opts oidctest.Options, mutate func(*oidc.Config)) *env {
	t.Helper()
	if opts.Alg == "" {
		opts.Alg = "ES256" // fast to generate; tests about RSA ask for it
	}
	is := oidctest.New(t, opts)
	c := newClock()
	cfg := oidc.Config{Issuer: is.Issuer(), Audiences: []string{aud}}
	if mutate != nil {
		mutate(&cfg)
	}
	rs := providers.NewMemoryReplay(1000, c.Now)
	p, err := oidc.New("ci", cfg, providers.Deps{Now: c.Now, Replay: rs})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &env{t: t, is: is, clock: c, cfg: cfg, p: p, replay: rs}
}

// claims is a valid claim set for the env's issuer at the current time.
func (e *env) claims() map[string]any {
	return e.is.Claims(aud, e.clock.Now(), 5*time.Minute)
}

// auth presents tok as a docker login password.
func (e *env) auth(tok string) (providers.Identity, error) {
	return e.p.Authenticate(context.Background(), basic(tok))
}

func basic(tok string) providers.Credential {
	return providers.Credential{Scheme: providers.SchemeBasic, Username: "ci", Secret: providers.Secret(tok)}
}

// mustAccept fails the test unless tok is accepted.
func (e *env) mustAccept(t testing.TB, tok string) providers.Identity {
	t.Helper()
	id, err := e.auth(tok)
	if err != nil {
		t.Fatalf("Authenticate: %v, want success", err)
	}
	return id
}

// mustRefuse fails the test unless tok is refused as an invalid credential.
func (e *env) mustRefuse(t testing.TB, tok string) {
	t.Helper()
	if _, err := e.auth(tok); !errors.Is(err, providers.ErrInvalidCredential) {
		t.Fatalf("Authenticate: err = %v, want ErrInvalidCredential", err)
	}
}

// header is the usual header for the issuer's current signer.
func (e *env) header() map[string]any {
	k := e.is.Signer()
	return map[string]any{"alg": k.Alg, "kid": k.ID, "typ": "JWT"}
}

// warm makes the provider load the issuer's keys with one valid token.
func (e *env) warm() {
	e.t.Helper()
	e.mustAccept(e.t, e.is.Mint(e.claims()))
}

// noNetwork is a transport that fails every request: New and offline checks
// must never reach it.
type noNetwork struct{}

func (noNetwork) RoundTrip(*http.Request) (*http.Response, error) {
	panic("network I/O where none is allowed")
}

// noDeps are Deps whose HTTP client panics on use.
func noDeps() providers.Deps {
	return providers.Deps{HTTPClient: &http.Client{Transport: noNetwork{}}}
}
