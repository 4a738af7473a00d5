package oidc_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/internal/jwks"
	"github.com/regbridge/regbridge/providers/oidc"
	"github.com/regbridge/regbridge/providers/oidc/oidctest"
)

func TestNewDoesNoNetworkIOAndAnUnreachableIssuerAnswersUnavailable(t *testing.T) {
	// A loopback port with nothing listening: connections are refused.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + l.Addr().String()
	l.Close()
	if _, err := oidc.New("ci", oidc.Config{Issuer: issuer, Audiences: []string{aud}}, noDeps()); err != nil {
		t.Fatalf("New: %v", err)
	}
	// The same provider with a working client, against the dead issuer.
	p, err := oidc.New("ci", oidc.Config{Issuer: issuer, Audiences: []string{aud}, Timeout: time.Second}, providers.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	k := oidctest.MustKey("ES256", "k")
	now := time.Now()
	tok := oidctest.MintWith(k, map[string]any{"alg": "ES256", "kid": "k"}, map[string]any{
		"iss": issuer, "sub": "s", "aud": aud, "iat": now.Unix(), "exp": now.Add(time.Minute).Unix(),
	})
	_, err = p.Authenticate(context.Background(), basic(tok))
	var ue *providers.UnavailableError
	if !errors.Is(err, providers.ErrUnavailable) || !errors.As(err, &ue) || ue.RetryAfter <= 0 {
		t.Fatalf("err = %v, want ErrUnavailable with a retry hint", err)
	}
	if errors.Is(err, providers.ErrInvalidCredential) {
		t.Fatalf("an unreachable issuer must not look like a bad token (it would be cached)")
	}
}

func TestIssuerThatComesUpLaterStartsAnswering(t *testing.T) {
	e := newEnv(t, oidctest.Options{}, nil)
	e.is.Handle(e.is.DiscoveryPath(), http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "starting", http.StatusServiceUnavailable)
	}))
	tok := e.is.Mint(e.claims())
	if _, err := e.auth(tok); !errors.Is(err, providers.ErrUnavailable) {
		t.Fatalf("issuer down: err = %v, want ErrUnavailable", err)
	}
	if _, err := e.auth(tok); !errors.Is(err, providers.ErrUnavailable) {
		t.Fatalf("within the back-off: err = %v, want ErrUnavailable", err)
	}
	if n := e.is.Requests(e.is.DiscoveryPath()); n != 1 {
		t.Errorf("discovery requests within the back-off = %d, want 1", n)
	}
	e.is.Handle(e.is.DiscoveryPath(), nil)
	e.clock.Advance(6 * time.Second)
	e.mustAccept(t, tok)
}

func TestInlineAndFileJWKSNeedNoNetwork(t *testing.T) {
	k := oidctest.MustKey("ES256", "cluster-key")
	issuer := "https://kubernetes.default.svc.cluster.local"
	c := newClock()
	mint := func() string {
		now := c.Now()
		return oidctest.MintWith(k, map[string]any{"alg": "ES256", "kid": k.ID}, map[string]any{
			"iss": issuer, "sub": "system:serviceaccount:build:builder", "aud": []any{aud},
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
			"kubernetes.io": map[string]any{"namespace": "build", "serviceaccount": map[string]any{"name": "builder", "uid": "u1"}},
		})
	}
	file := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(file, oidctest.JWKS(k), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, cfg := range map[string]oidc.Config{
		"inline jwks": {Keys: jwks.Keys{JWKS: string(oidctest.JWKS(k))}},
		"jwks_file":   {JWKSFile: file},
	} {
		t.Run(name, func(t *testing.T) {
			cfg.Issuer, cfg.Preset, cfg.Audiences = issuer, oidc.PresetKubernetes, []string{aud}
			deps := noDeps()
			deps.Now = c.Now
			p, err := oidc.New("cluster", cfg, deps)
			if err != nil {
				t.Fatal(err)
			}
			id, err := p.Authenticate(context.Background(), basic(mint()))
			if err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			if id.Subject != "u1" {
				t.Errorf("subject = %q, want the service account uid", id.Subject)
			}
			other := oidctest.MustKey("ES256", "other")
			forged := oidctest.MintWith(other, map[string]any{"alg": "ES256", "kid": "other"}, map[string]any{
				"iss": issuer, "sub": "x", "aud": aud, "iat": c.Now().Unix(), "exp": c.Now().Add(time.Hour).Unix(),
			})
			if _, err := p.Authenticate(context.Background(), basic(forged)); !errors.Is(err, providers.ErrInvalidCredential) {
				t.Fatalf("unknown kid with static keys: err = %v, want ErrInvalidCredential", err)
			}
		})
	}
	t.Run("a missing jwks_file is an error", func(t *testing.T) {
		_, err := oidc.New("x", oidc.Config{Issuer: issuer, Audiences: []string{aud}, JWKSFile: file + ".missing"}, noDeps())
		if err == nil || !strings.Contains(err.Error(), "jwks_file") {
			t.Fatalf("New = %v, want a jwks_file error", err)
		}
	})
}

func TestExplicitJWKSURIMayBeOnAnotherOriginButDiscoveryIsSkipped(t *testing.T) {
	keys := oidctest.New(t, oidctest.Options{Alg: "ES256"})
	e := newEnv(t, oidctest.Options{}, nil)
	c := newClock()
	p, err := oidc.New("ci", oidc.Config{Issuer: e.is.Issuer(), Audiences: []string{aud}, Keys: jwks.Keys{JWKSURI: keys.JWKSURI()}},
		providers.Deps{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	claims := e.is.Claims(aud, c.Now(), time.Minute)
	if _, err := p.Authenticate(context.Background(), basic(keys.Mint(claims))); err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	if n := e.is.TotalRequests(); n != 0 {
		t.Errorf("issuer saw %d requests, want 0 (discovery skipped)", n)
	}
	if n := keys.JWKSRequests(); n != 1 {
		t.Errorf("JWKS requests = %d, want 1", n)
	}
}

func TestConfigValidateNamesEveryProblem(t *testing.T) {
	cfg := oidc.Config{
		Issuer:    "http://issuer.example.com/realms/ci?x=1",
		Preset:    "jenkins",
		Keys:      jwks.Keys{Algorithms: []string{"HS256"}, JWKS: "{", JWKSURI: "ftp://x"},
		Skew:      time.Hour,
		Replay:    "never",
		Usernames: []string{"*"},
		Timeout:   -time.Second,
	}
	err := cfg.Validate()
	if err == nil {
		t.Fatal("Validate accepted a broken config")
	}
	for _, key := range []string{"preset:", "issuer:", "audiences:", "algorithms[0]:", "jwks:", "jwks_uri:",
		"jwks_uri, jwks, jwks_file", "skew:", "replay:", "usernames[0]:", "timeout:"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("Validate error lacks %q:\n%v", key, err)
		}
	}
	for name, iss := range map[string]string{
		"dot segments":        "https://issuer.example.com/a/../b",
		"upper-case host":     "https://Issuer.example.com",
		"fragment":            "https://issuer.example.com/#x",
		"userinfo":            "https://u@issuer.example.com",
		"plain http":          "http://issuer.example.com",
		"empty path segments": "https://issuer.example.com//x",
	} {
		if err := (oidc.Config{Issuer: iss, Audiences: []string{aud}}).Validate(); err == nil {
			t.Errorf("%s: Validate(%q) = nil, want an issuer error", name, iss)
		}
	}
	ok := oidc.Config{Preset: oidc.PresetGitHubActions, Audiences: []string{aud}}
	if err := ok.Validate(); err != nil {
		t.Errorf("GitHub preset with its canonical issuer: %v", err)
	}
	insecure := oidc.Config{Issuer: "http://op.internal:9998/", Audiences: []string{aud}, AllowInsecureHTTP: true}
	if err := insecure.Validate(); err != nil {
		t.Errorf("allow_insecure_http: %v", err)
	}
}

func TestNonJWSPasswordUnderAHintedUsernameIsRefusedClearly(t *testing.T) {
	p, err := oidc.New("github", oidc.Config{Preset: oidc.PresetGitHubActions, Audiences: []string{aud}, Usernames: []string{"github"}}, noDeps())
	if err != nil {
		t.Fatal(err)
	}
	if r := p.Route(); len(r.Usernames) != 1 || r.Usernames[0] != "github" {
		t.Fatalf("Route().Usernames = %q", r.Usernames)
	}
	_, err = p.Authenticate(context.Background(), providers.Credential{Scheme: providers.SchemeBasic, Username: "github", Secret: "hunter2"})
	if !errors.Is(err, providers.ErrInvalidCredential) || !strings.Contains(err.Error(), "compact JWS") {
		t.Fatalf("err = %v, want a not-a-JWS refusal", err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error leaks the password: %v", err)
	}
}

func TestJWKSRotationNewKeyPassesAfterOneRefreshAndRemovedKeyStopsWorking(t *testing.T) {
	e := newEnv(t, oidctest.Options{}, func(c *oidc.Config) {
		c.RefreshCooldown, c.RefreshInterval = time.Minute, 10*time.Minute
	})
	old := e.is.Signer()
	oldTok := e.is.Mint(e.claims())
	e.mustAccept(t, oldTok)
	e.clock.Advance(time.Minute)
	e.is.Rotate("ES256")
	e.mustAccept(t, e.is.Mint(e.claims()))
	if n := e.is.JWKSRequests(); n != 2 {
		t.Fatalf("JWKS requests after rotation = %d, want 2 (one refresh)", n)
	}
	e.mustAccept(t, oldTok) // the old key is still published
	// The issuer withdraws the old key; once the keys are stale they are
	// refreshed and tokens under the old kid stop working.
	e.is.SetPublished(e.is.Signer())
	e.clock.Advance(11 * time.Minute)
	c := e.claims()
	e.mustRefuse(t, oidctest.MintWith(old, map[string]any{"alg": old.Alg, "kid": old.ID, "typ": "JWT"}, c))
	e.mustAccept(t, e.is.Mint(e.claims()))
	if n := e.is.JWKSRequests(); n != 3 {
		t.Errorf("JWKS requests = %d, want 3", n)
	}
}
