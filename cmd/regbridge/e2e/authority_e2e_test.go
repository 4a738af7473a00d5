package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers/authority/authtest"
)

// The StellaOps example policy (testdata/policies/stellaops.yaml) gives the
// enterprise plan pull and push on stella-ops/enterprise/mirror/*, refuses
// the licences LIC-0007 and LIC-0042 and unknown plans with 403.
const (
	stellaScope        = "registry.token.issue"
	stellaMirror       = "stella-ops/enterprise/mirror/"
	stellaLicenceOK    = "LIC-0003"
	stellaLicenceGone  = "LIC-0042"
	stellaReasonRevoke = "licence revoked"
	stellaReasonPlan   = "unknown plan"
)

// stellaClaims are the custom claims of an OpTok.
func stellaClaims(plan, licence string) map[string]any {
	return map[string]any{"stellaops:plan": plan, "stellaops:license": licence}
}

// pushScope is the registry scope for pull and push on repo.
func pushScope(repo string) string { return "repository:" + repo + ":pull,push" }

// TestE2EAuthorityHydraTokenExchange is issue 6's end-to-end acceptance
// with a real authorization server: Hydra v2.3.0 on loopback issues
// client-credentials JWT access tokens whose plan and licence claims come
// from a token hook; regbridge validates them by JWT (discovery, JWKS) in
// front of distribution 3.1.2 and by introspection at Hydra's admin port in
// front of distribution 2.8.2; the client exchanges the access token at
// POST /oauth2/token (RFC 8693) and crane pushes with the registry token.
// The StellaOps example policy decides: an allowed plan pushes, a revoked
// licence and an unknown plan get 403 with the reason.
func TestE2EAuthorityHydraTokenExchange(t *testing.T) {
	needE2E(t)
	h := startHydra(t)
	const audience = "regbridge-e2e-authority"
	clients := map[string]hydraClient{
		"enterprise": h.createClient(t, "svc-enterprise", stellaScope, audience, stellaClaims("enterprise", stellaLicenceOK)),
		"revoked":    h.createClient(t, "svc-revoked", stellaScope, audience, stellaClaims("enterprise", stellaLicenceGone)),
		"platinum":   h.createClient(t, "svc-platinum", stellaScope, audience, stellaClaims("platinum", stellaLicenceOK)),
	}
	tokens := map[string]string{}
	for name, c := range clients {
		tokens[name] = h.clientCredentials(t, c, stellaScope, audience)
	}
	t.Run("Hydra's access token is a JWT with typ JWT, scp and the hook's claims under ext", func(t *testing.T) {
		c := jwtClaims(t, tokens["enterprise"])
		ext, _ := c["ext"].(map[string]any)
		if c["iss"] != h.Issuer || c["client_id"] != "svc-enterprise" || ext["stellaops:plan"] != "enterprise" {
			t.Fatalf("unexpected Hydra access token claims: %v", c)
		}
		if scp, _ := c["scp"].([]any); !slices.Contains(scp, any(stellaScope)) {
			t.Errorf("scp = %v, want %s in it", c["scp"], stellaScope)
		}
	})
	policy := readRepoFile(t, "testdata/policies/stellaops.yaml")
	common := `id: authority, type: authority, issuer: "` + h.Issuer + `", audiences: [` + audience +
		`], claims_path: ext, client_ids: [svc-enterprise, svc-revoked, svc-platinum], sender_constraint: none, ` +
		`claims: ["stellaops:plan", "stellaops:license"]`
	for _, mode := range []struct {
		name     string
		provider string
		version  RegistryVersion
		// asks is the Hydra endpoint the bridge must have called, never is
		// one it must not have called.
		asks, never string
	}{
		{"JWT validation through discovery in front of distribution 3.1.2",
			`{` + common + `, validation: jwt, discovery: true, access_token_types: [JWT], scope_claim: scp}`, reg31Bundle,
			"/.well-known/jwks.json", "/admin/oauth2/introspect"},
		{"introspection at Hydra's admin port in front of distribution 2.8.2",
			`{` + common + `, validation: introspection, introspection_url: "` + h.Admin + `/admin/oauth2/introspect", client_auth: none, scope_claim: scope}`, reg28Bundle,
			"/admin/oauth2/introspect", ""},
	} {
		t.Run(mode.name, func(t *testing.T) {
			svc := Service{Name: "registry-authority.test", Issuer: "regbridge-e2e-authority", Header: headerX5C}
			b := startBridge(t, BridgeOptions{Services: []Service{svc}, Policy: policy, ExtraProviders: []string{mode.provider}})
			reg := startRegistry(t, mode.version, b, svc)
			t.Run("an allowed plan exchanges the access token and crane and oras push with the registry token", func(t *testing.T) {
				repo := stellaMirror + "hydra"
				rt := b.MustExchange(t, tokens["enterprise"], svc.Name, []string{pushScope(repo)}, nil)
				pushWithRegistryToken(t, reg, rt, repo)
			})
			t.Run("the registry token is refused outside the plan's repositories", func(t *testing.T) {
				rt := b.MustExchange(t, tokens["enterprise"], svc.Name, []string{pushScope(stellaMirror + "hydra")}, nil)
				c := newClient(t, toolCrane)
				c.UseRegistryToken(t, reg.Host, rt)
				c.MustFail(t, refusedWords, "", "append", "-f", writeLayerTar(t, c.WorkDir(), "x", "elsewhere"), "-t", reg.Ref("stella-ops/pro/hydra:1"))
			})
			t.Run("a revoked licence gets 403 with the reason", func(t *testing.T) {
				assertForbidden(t, b.Exchange(t, tokens["revoked"], svc.Name, []string{pushScope(stellaMirror + "hydra")}, nil), stellaReasonRevoke)
			})
			t.Run("an unknown plan gets 403 with the reason", func(t *testing.T) {
				assertForbidden(t, b.Exchange(t, tokens["platinum"], svc.Name, []string{"repository:stella-ops/public/scanner:pull"}, nil), stellaReasonPlan)
			})
			t.Run("a tampered access token is refused", func(t *testing.T) {
				tampered := tokens["enterprise"][:len(tokens["enterprise"])-4] + "AAAA"
				a := b.Exchange(t, tampered, svc.Name, []string{pushScope(stellaMirror + "hydra")}, nil)
				if a.code != http.StatusUnauthorized || !strings.Contains(a.challenge, "invalid_token") {
					t.Fatalf("a tampered token: %d %q %s, want 401 invalid_token", a.code, a.challenge, a.body)
				}
				t.Logf("refused as expected: %s", a.challenge)
			})
			t.Run("the bridge asked Hydra the way its configuration says", func(t *testing.T) {
				if n := h.served(t, mode.asks); n == 0 {
					t.Errorf("Hydra served no request to %s", mode.asks)
				}
				if mode.never != "" {
					if n := h.served(t, mode.never); n != 0 {
						t.Errorf("Hydra served %d requests to %s", n, mode.never)
					}
				}
			})
		})
	}
	if calls := h.hook.Calls(); calls < len(clients) {
		t.Errorf("Hydra called the token hook %d times for %d tokens", calls, len(clients))
	}
}

// TestE2EAuthorityDPoPBoundTokens runs DPoP-bound OpToks from the fake
// authorization server (providers/authority/authtest; Hydra cannot bind
// tokens) through a bridge with sender_constraint: dpop in front of
// distribution 3.1.2: GET /token with Authorization: DPoP and a proof, and
// the token exchange with a proof, each yield a registry token crane
// pushes with; a replayed proof, the bound token as a Basic password
// (docker login, crane) or as a Bearer token are refused; a revoked
// licence is a 403.
func TestE2EAuthorityDPoPBoundTokens(t *testing.T) {
	needE2E(t)
	as := authtest.NewServer(t)
	key, err := authtest.NewProofKey("ES256")
	if err != nil {
		t.Fatal(err)
	}
	svc := Service{Name: "registry-dpop.test", Issuer: "regbridge-e2e-dpop", Header: headerX5C}
	b := startBridge(t, BridgeOptions{
		Services: []Service{svc},
		Policy:   readRepoFile(t, "testdata/policies/stellaops.yaml"),
		ExtraProviders: []string{`{id: authority, type: authority, issuer: "` + as.Issuer + `", audiences: [registry], ` +
			`jwks_uri: "` + as.URL + authtest.PathJWKS + `", sender_constraint: dpop}`},
	})
	reg := startRegistry(t, reg31Bundle, b, svc)
	bound := as.JWT(authtest.Token{JKT: key.JKT(), Extra: stellaClaims("enterprise", stellaLicenceOK)})
	tokenURL := b.URL + "/token" // the htu: public_url + path

	t.Run("GET /token with Authorization: DPoP and a proof yields a registry token crane pushes with", func(t *testing.T) {
		repo := stellaMirror + "dpop-get"
		a := dpopGetToken(t, b, svc.Name, pushScope(repo), "DPoP "+bound, key.Proof(http.MethodGet, tokenURL, bound))
		if a.code != http.StatusOK {
			t.Fatalf("GET /token with DPoP: %d %s %s", a.code, a.challenge, a.body)
		}
		pushWithRegistryToken(t, reg, a.token, repo)
	})
	t.Run("the token exchange with a DPoP proof yields a registry token crane and oras push with", func(t *testing.T) {
		repo := stellaMirror + "dpop-exchange"
		proof := key.Proof(http.MethodPost, b.URL+exchangePath, "")
		rt := b.MustExchange(t, bound, svc.Name, []string{pushScope(repo)}, http.Header{"DPoP": {proof}})
		pushWithRegistryToken(t, reg, rt, repo)
	})
	t.Run("a replayed proof is refused", func(t *testing.T) {
		proof := key.Proof(http.MethodGet, tokenURL, bound)
		scope := pushScope(stellaMirror + "dpop-replay")
		if a := dpopGetToken(t, b, svc.Name, scope, "DPoP "+bound, proof); a.code != http.StatusOK {
			t.Fatalf("first use of the proof: %d %s %s", a.code, a.challenge, a.body)
		}
		a := dpopGetToken(t, b, svc.Name, scope, "DPoP "+bound, proof)
		if a.code != http.StatusUnauthorized || !strings.Contains(a.challenge, "invalid_dpop_proof") {
			t.Fatalf("replayed proof: %d %q %s, want 401 invalid_dpop_proof", a.code, a.challenge, a.body)
		}
	})
	t.Run("the exchange without a proof is refused", func(t *testing.T) {
		a := b.Exchange(t, bound, svc.Name, []string{pushScope(stellaMirror + "dpop-exchange")}, nil)
		if a.code != http.StatusBadRequest || !strings.Contains(a.challenge, "invalid_dpop_proof") {
			t.Fatalf("exchange of a bound token without a proof: %d %q %s, want 400 invalid_dpop_proof", a.code, a.challenge, a.body)
		}
	})
	t.Run("the bound token as a Basic password is refused (downgrade)", func(t *testing.T) {
		if code, body := b.Token(t, svc.Name, "stellaops", bound, pushScope(stellaMirror+"basic")); code != http.StatusUnauthorized {
			t.Errorf("GET /token with the bound token as a Basic password: %d %s, want 401", code, body)
		}
		c := newClient(t, toolCrane)
		c.MustLogin(t, reg.Host, "stellaops", bound) // crane only stores it
		c.MustFail(t, refusedWords, "", "append", "-f", writeLayerTar(t, c.WorkDir(), "b", "downgrade"), "-t", reg.Ref(stellaMirror+"basic:1"))
		t.Run("docker login", func(t *testing.T) {
			d := newClient(t, toolDocker)
			if r := d.Login(t, reg.Host, "stellaops", bound); r.code == 0 || !strings.Contains(strings.ToLower(r.stderr), "unauthorized") {
				t.Errorf("docker login with a DPoP-bound token: want an unauthorized refusal, got:\n%s", r)
			}
		})
	})
	t.Run("the bound token as a Bearer token without a proof is refused (downgrade)", func(t *testing.T) {
		if a := dpopGetToken(t, b, svc.Name, pushScope(stellaMirror+"bearer"), "Bearer "+bound, ""); a.code != http.StatusUnauthorized {
			t.Fatalf("GET /token with Bearer: %d %s %s, want 401", a.code, a.challenge, a.body)
		}
	})
	t.Run("a revoked licence on a bound token gets 403 with the reason", func(t *testing.T) {
		revoked := as.JWT(authtest.Token{JKT: key.JKT(), Extra: stellaClaims("enterprise", "LIC-0007")})
		a := dpopGetToken(t, b, svc.Name, pushScope(stellaMirror+"revoked"), "DPoP "+revoked, key.Proof(http.MethodGet, tokenURL, revoked))
		assertForbidden(t, exchangeAnswer{code: a.code, body: a.body}, stellaReasonRevoke)
	})
}

// dpopAnswer is what GET /token said.
type dpopAnswer struct {
	code      int
	challenge string
	body      string
	token     string
}

// dpopGetToken calls GET /token with the given Authorization value and DPoP
// proof (none when empty).
func dpopGetToken(t *testing.T, b *Bridge, service, scope, authorization, proof string) dpopAnswer {
	t.Helper()
	q := url.Values{"service": {service}, "scope": {scope}}
	req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:"+itoa(b.Port)+"/token?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", authorization)
	if proof != "" {
		req.Header.Set("DPoP", proof)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("GET /token: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatal(err)
	}
	a := dpopAnswer{code: resp.StatusCode, challenge: resp.Header.Get("WWW-Authenticate"), body: string(body)}
	if a.code == http.StatusOK {
		var tr tokenResponse
		if err := json.Unmarshal(body, &tr); err != nil || tr.Token == "" {
			t.Fatalf("GET /token: no token in %s", body)
		}
		a.token = tr.Token
	}
	return a
}

// pushWithRegistryToken checks the registry token's access, then pushes an
// image to repo with crane and an artifact with oras, each using the
// registry token directly, and reads both back.
func pushWithRegistryToken(t *testing.T, reg *Registry, registryToken, repo string) {
	t.Helper()
	var access []struct {
		Name    string   `json:"name"`
		Actions []string `json:"actions"`
	}
	raw, _ := json.Marshal(jwtClaims(t, registryToken)["access"])
	if err := json.Unmarshal(raw, &access); err != nil || len(access) != 1 || access[0].Name != repo || !slices.Contains(access[0].Actions, "push") {
		t.Fatalf("registry token access = %s, want push on %s", raw, repo)
	}
	c := newClient(t, toolCrane)
	c.UseRegistryToken(t, reg.Host, registryToken)
	content := "authority " + randomPassword(t)
	ref := reg.Ref(repo + ":1")
	c.MustRun(t, "", "append", "-f", writeLayerTar(t, c.WorkDir(), "layer", content), "-t", ref)
	out := c.WorkDir() + "/export.tar"
	c.MustRun(t, "", "export", ref, out)
	if got := fileInTar(t, out, "layer"); got != content {
		t.Errorf("crane pulled back %q, want %q", got, content)
	}

	o := newClient(t, toolOras)
	o.UseRegistryToken(t, reg.Host, registryToken)
	writeFile(t, filepath.Join(o.WorkDir(), "note.txt"), content)
	ref = reg.Ref(repo + ":oras")
	o.MustRun(t, "", "push", ref, "note.txt")
	o.MustRun(t, "", "pull", ref, "-o", "back")
	got, err := os.ReadFile(filepath.Join(o.WorkDir(), "back", "note.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != content {
		t.Errorf("oras pulled back %q, want %q", got, content)
	}
}

// assertForbidden checks for a 403 whose body gives the policy's reason.
func assertForbidden(t *testing.T, a exchangeAnswer, reason string) {
	t.Helper()
	if a.code != http.StatusForbidden || !strings.Contains(a.body, reason) {
		t.Fatalf("want 403 with %q, got %d %s", reason, a.code, a.body)
	}
	t.Logf("refused as expected: %d %s", a.code, strings.TrimSpace(a.body))
}
