package oidc_test

// Adversarial cases 1–6 of federation.md §11: signatures, algorithms, header
// keys, kid floods, issuer variants and token kinds.

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/internal/jwks"
	"github.com/regbridge/regbridge/providers/oidc"
	"github.com/regbridge/regbridge/providers/oidc/oidctest"
)

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func TestAdversarial01UnsignedTokensAreRefusedWithoutNetworkIO(t *testing.T) {
	e := newEnv(t, oidctest.Options{}, nil)
	valid := e.is.Mint(e.claims())
	parts := strings.Split(valid, ".")
	for _, alg := range []string{"none", "None", "NONE"} {
		t.Run("alg "+alg+" with an empty signature", func(t *testing.T) {
			h := mustJSON(map[string]any{"alg": alg, "typ": "JWT"})
			tok, err := oidctest.SignRaw(nil, "none", nil, h, mustJSON(e.claims()))
			if err != nil {
				t.Fatal(err)
			}
			e.mustRefuse(t, tok)
			e.mustRefuse(t, tok+"AAAA")
		})
	}
	t.Run("a valid token with its signature stripped", func(t *testing.T) {
		e.mustRefuse(t, parts[0]+"."+parts[1]+".")
		e.mustRefuse(t, parts[0]+"."+parts[1])
	})
	if n := e.is.TotalRequests(); n != 0 {
		t.Errorf("issuer saw %d requests, want 0", n)
	}
}

func TestAdversarial02AlgorithmConfusionIsRefused(t *testing.T) {
	e := newEnv(t, oidctest.Options{Alg: "RS256"}, func(c *oidc.Config) { c.Algorithms = []string{"RS256"} })
	e.warm()
	pub := e.is.Signer().Private.Public()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string][]byte{
		"PEM":      pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}),
		"DER":      der,
		"JWK JSON": oidctest.JWKS(e.is.Signer()),
	}
	for name, secret := range secrets {
		t.Run("HS256 keyed with the issuer's RSA public key as "+name, func(t *testing.T) {
			h := mustJSON(map[string]any{"alg": "HS256", "kid": e.is.Signer().ID, "typ": "JWT"})
			tok, err := oidctest.SignRaw(nil, "HS256", secret, h, mustJSON(e.claims()))
			if err != nil {
				t.Fatal(err)
			}
			e.mustRefuse(t, tok)
		})
	}
	for _, alg := range []string{"PS256", "RS512"} {
		t.Run(alg+" signed by the issuer's own key when only RS256 is allowed", func(t *testing.T) {
			h := map[string]any{"alg": alg, "kid": e.is.Signer().ID, "typ": "JWT"}
			e.mustRefuse(t, oidctest.MintWith(e.is.Signer(), h, e.claims()))
		})
	}
	t.Run("ES256 signature under an RSA kid", func(t *testing.T) {
		e2 := newEnv(t, oidctest.Options{Alg: "RS256"}, nil) // RS256 and ES256 allowed
		e2.warm()
		attacker := oidctest.MustKey("ES256", e2.is.Signer().ID)
		e2.mustRefuse(t, oidctest.MintWith(attacker, map[string]any{"alg": "ES256", "kid": attacker.ID, "typ": "JWT"}, e2.claims()))
	})
	t.Run("HS256 advertised by discovery is still refused", func(t *testing.T) {
		e3 := newEnv(t, oidctest.Options{Alg: "RS256"}, nil)
		e3.is.SetDiscovery("id_token_signing_alg_values_supported", []string{"HS256", "none"})
		e3.warm()
		h := mustJSON(map[string]any{"alg": "HS256", "kid": e3.is.Signer().ID})
		tok, _ := oidctest.SignRaw(nil, "HS256", secrets["PEM"], h, mustJSON(e3.claims()))
		e3.mustRefuse(t, tok)
	})
	t.Run("configuration refuses none and HMAC", func(t *testing.T) {
		for _, alg := range []string{"none", "HS256", "HS512", "rs256"} {
			cfg := oidc.Config{Issuer: "https://issuer.example", Audiences: []string{aud}, Keys: jwks.Keys{Algorithms: []string{alg}}}
			if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "algorithms[0]") {
				t.Errorf("Validate(algorithms: [%s]) = %v, want an algorithms[0] error", alg, err)
			}
		}
	})
}

func TestAdversarial03HeaderSuppliedKeysAreRefusedAndNeverFetched(t *testing.T) {
	e := newEnv(t, oidctest.Options{}, nil)
	var hits atomic.Int32
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		_, _ = w.Write(oidctest.JWKS(oidctest.MustKey("RS256", "evil")))
	}))
	defer evil.Close()
	attacker := oidctest.MustKey("RS256", "evil")
	jwk, _ := attacker.JWK().MarshalJSON()
	var jwkMap map[string]any
	_ = json.Unmarshal(jwk, &jwkMap)
	for member, value := range map[string]any{
		"jwk": jwkMap,
		"jku": evil.URL + "/jwks",
		"x5u": evil.URL + "/cert.pem",
		"x5c": []string{"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"},
	} {
		t.Run("attacker-signed token carrying "+member, func(t *testing.T) {
			h := map[string]any{"alg": "RS256", "kid": "evil", "typ": "JWT", member: value}
			e.mustRefuse(t, oidctest.MintWith(attacker, h, e.claims()))
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("attacker URL saw %d requests, want 0", n)
	}
	if n := e.is.TotalRequests(); n != 0 {
		t.Errorf("issuer saw %d requests for header-key tokens, want 0", n)
	}
	e.warm()
	for name, kid := range map[string]string{
		"path traversal": "../../../../dev/null",
		"SQL":            "' OR 1=1--",
		"10 KB":          strings.Repeat("k", 10<<10),
	} {
		t.Run("kid "+name+" is only a lookup key", func(t *testing.T) {
			h := map[string]any{"alg": "ES256", "kid": kid, "typ": "JWT"}
			e.mustRefuse(t, oidctest.MintWith(e.is.Signer(), h, e.claims()))
		})
	}
	for path, n := range map[string]int{e.is.DiscoveryPath(): 1, e.is.JWKSPath(): 1} {
		if got := e.is.Requests(path); got != n {
			t.Errorf("requests to %s = %d, want %d (cooldown)", path, got, n)
		}
	}
}

func TestAdversarial04UnknownKidFloodRefreshesAtMostOncePerCooldown(t *testing.T) {
	e := newEnv(t, oidctest.Options{}, func(c *oidc.Config) { c.RefreshCooldown = time.Minute })
	e.warm()
	attacker := oidctest.MustKey("ES256", "attacker")
	start := time.Now()
	var wg sync.WaitGroup
	var accepted atomic.Int32
	for i := range 1000 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := map[string]any{"alg": "ES256", "kid": fmt.Sprintf("random-%d", i), "typ": "JWT"}
			if _, err := e.auth(oidctest.MintWith(attacker, h, e.claims())); err == nil {
				accepted.Add(1)
			}
		}()
		if i == 500 {
			e.clock.Advance(61 * time.Second) // one cooldown passes mid-flood
		}
	}
	wg.Wait()
	t.Logf("1000 forged tokens in %s", time.Since(start))
	if n := accepted.Load(); n != 0 {
		t.Fatalf("%d forged tokens accepted", n)
	}
	if n := e.is.JWKSRequests(); n > 2 {
		t.Fatalf("JWKS requests = %d after a flood spanning one cooldown, want at most 2 (warm-up + 1)", n)
	}
	before := e.is.JWKSRequests()
	rotated := e.is.Rotate("ES256")
	tok := e.is.Mint(e.claims())
	if _, err := e.auth(tok); err == nil && before == e.is.JWKSRequests() {
		t.Fatalf("rotated key %s accepted without a refresh", rotated.ID)
	}
	e.clock.Advance(61 * time.Second)
	e.mustAccept(t, e.is.Mint(e.claims()))
	if got := e.is.JWKSRequests(); got > before+1 {
		t.Errorf("JWKS requests after rotation = %d, want at most %d", got, before+1)
	}
}

func TestAdversarial05IssuerVariantsCauseNoNetworkIO(t *testing.T) {
	e := newEnv(t, oidctest.Options{}, nil)
	iss := e.is.Issuer()
	host := strings.TrimPrefix(iss, "http://")
	for name, variant := range map[string]string{
		"trailing slash added":    iss + "/",
		"upper-case scheme":       "HTTP://" + host,
		"localhost for 127.0.0.1": "http://localhost:" + strings.Split(host, ":")[1],
		"https scheme":            "https://" + host,
		"suffix domain":           iss + ".evil.com",
		"userinfo":                "http://" + host + "@evil.com",
		"dot segments":            iss + "/%2e%2e/x",
		"homoglyph host":          "http://127.0.0.１:" + strings.Split(host, ":")[1],
	} {
		t.Run(name, func(t *testing.T) {
			c := e.claims()
			c["iss"] = variant
			e.mustRefuse(t, e.is.Mint(c))
		})
	}
	if n := e.is.TotalRequests(); n != 0 {
		t.Errorf("issuer saw %d requests, want 0", n)
	}
	t.Run("trailing slash removed", func(t *testing.T) {
		e2 := newEnv(t, oidctest.Options{TrailingSlash: true}, nil)
		c := e2.claims()
		c["iss"] = strings.TrimSuffix(e2.is.Issuer(), "/")
		e2.mustRefuse(t, e2.is.Mint(c))
		if n := e2.is.TotalRequests(); n != 0 {
			t.Errorf("issuer saw %d requests, want 0", n)
		}
		e2.warm() // the exact form, slash included, works
	})
}

func TestAdversarial05DiscoveryHardening(t *testing.T) {
	var hits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		http.NotFound(w, nil)
	}))
	defer other.Close()
	for name, jwksURI := range map[string]string{
		"jwks_uri on another host":         other.URL + "/keys",
		"jwks_uri on the metadata address": "http://169.254.169.254/latest/meta-data",
		"jwks_uri on IPv6 loopback":        "http://[::1]:1/keys",
		"jwks_uri with credentials":        "http://user:pw@127.0.0.1/keys",
	} {
		t.Run(name+" is refused and never contacted", func(t *testing.T) {
			e := newEnv(t, oidctest.Options{}, nil)
			e.is.SetDiscovery("jwks_uri", jwksURI)
			_, err := e.auth(e.is.Mint(e.claims()))
			if !errors.Is(err, providers.ErrUnavailable) {
				t.Fatalf("err = %v, want ErrUnavailable", err)
			}
			if n := e.is.JWKSRequests(); n != 0 {
				t.Errorf("JWKS requests = %d, want 0", n)
			}
		})
	}
	t.Run("discovery behind a redirect to another host is refused", func(t *testing.T) {
		e := newEnv(t, oidctest.Options{}, nil)
		e.is.Handle(e.is.DiscoveryPath(), http.RedirectHandler(other.URL+"/.well-known/openid-configuration", http.StatusFound))
		if _, err := e.auth(e.is.Mint(e.claims())); !errors.Is(err, providers.ErrUnavailable) {
			t.Fatalf("err = %v, want ErrUnavailable", err)
		}
	})
	if n := hits.Load(); n != 0 {
		t.Errorf("other host saw %d requests, want 0", n)
	}
	t.Run("a 5 MB JWKS is not read and the old keys stay", func(t *testing.T) {
		e := newEnv(t, oidctest.Options{}, func(c *oidc.Config) { c.RefreshInterval = time.Minute })
		e.warm()
		big := strings.Repeat(" ", 5<<20)
		e.is.Handle(e.is.JWKSPath(), http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte(`{"keys":[]` + big + `}`))
		}))
		e.clock.Advance(2 * time.Minute) // keys are stale: a refresh is due
		e.mustAccept(t, e.is.Mint(e.claims()))
		if n := e.is.JWKSRequests(); n != 2 {
			t.Errorf("JWKS requests = %d, want 2", n)
		}
	})
	t.Run("an empty key set is never cached", func(t *testing.T) {
		e := newEnv(t, oidctest.Options{}, func(c *oidc.Config) { c.RefreshCooldown = time.Second })
		e.warm()
		signer := e.is.Signer()
		e.is.SetPublished()
		e.clock.Advance(2 * time.Second)
		c := e.claims()
		rotated := oidctest.MintWith(signer, map[string]any{"alg": signer.Alg, "kid": "unknown", "typ": "JWT"}, c)
		e.mustRefuse(t, rotated)
		e.mustAccept(t, e.is.Mint(e.claims())) // old key still known
	})
	t.Run("an empty key set at start-up answers unavailable", func(t *testing.T) {
		e := newEnv(t, oidctest.Options{}, nil)
		e.is.SetPublished()
		if _, err := e.auth(e.is.Mint(e.claims())); !errors.Is(err, providers.ErrUnavailable) {
			t.Fatalf("err = %v, want ErrUnavailable", err)
		}
	})
}

func TestAdversarial06IssuerAndTokenKindMixUpIsRefused(t *testing.T) {
	gitlab := newEnv(t, oidctest.Options{}, nil)
	github := newEnv(t, oidctest.Options{}, nil)
	gitlab.warm()
	github.warm()
	if gitlab.is.Signer().ID != github.is.Signer().ID {
		t.Fatalf("fixture: want the same kid at both issuers")
	}
	t.Run("iss of one issuer signed with the other issuer's key under the same kid", func(t *testing.T) {
		c := github.claims()
		github.mustRefuse(t, gitlab.is.Mint(c))
	})
	t.Run("the docker username does not select the issuer", func(t *testing.T) {
		tok := github.is.Mint(github.claims())
		cred := basic(tok)
		cred.Username = "gitlab"
		if _, err := gitlab.p.Authenticate(context.Background(), cred); !errors.Is(err, providers.ErrInvalidCredential) {
			t.Fatalf("gitlab provider: err = %v, want ErrInvalidCredential", err)
		}
		if _, err := github.p.Authenticate(context.Background(), cred); err != nil {
			t.Fatalf("github provider with username gitlab: %v", err)
		}
	})
	for _, typ := range []string{"at+jwt", "application/at+jwt", "dpop+jwt", "JOSE", "refresh+jwt"} {
		t.Run("typ "+typ+" is not an ID token", func(t *testing.T) {
			h := github.header()
			h["typ"] = typ
			github.mustRefuse(t, oidctest.MintWith(github.is.Signer(), h, github.claims()))
		})
	}
	t.Run("a registry token with access claims is not an ID token", func(t *testing.T) {
		c := github.claims()
		c["access"] = []any{map[string]any{"type": "repository", "name": "x", "actions": []string{"push"}}}
		github.mustRefuse(t, github.is.Mint(c))
	})
	t.Run("a JWT access token with scp or client_id and scope is not an ID token", func(t *testing.T) {
		c := github.claims()
		c["scp"] = []string{"registry.token.issue"}
		github.mustRefuse(t, github.is.Mint(c))
		c = github.claims()
		c["client_id"], c["scope"] = "ci", "registry.token.issue"
		github.mustRefuse(t, github.is.Mint(c))
		c = github.claims()
		c["token_use"] = "access"
		github.mustRefuse(t, github.is.Mint(c))
		c = github.claims()
		c["typ"] = "Bearer" // Keycloak marks access tokens this way
		github.mustRefuse(t, github.is.Mint(c))
	})
	t.Run("token exchange with an access_token type is refused", func(t *testing.T) {
		cred := providers.Credential{Scheme: providers.SchemeExchange, Secret: providers.Secret(github.is.Mint(github.claims())),
			TokenType: "urn:ietf:params:oauth:token-type:access_token"}
		if _, err := github.p.Authenticate(context.Background(), cred); !errors.Is(err, providers.ErrInvalidCredential) {
			t.Fatalf("err = %v, want ErrInvalidCredential", err)
		}
		cred.TokenType = "urn:ietf:params:oauth:token-type:id_token"
		if _, err := github.p.Authenticate(context.Background(), cred); err != nil {
			t.Fatalf("id_token exchange: %v", err)
		}
	})
}
