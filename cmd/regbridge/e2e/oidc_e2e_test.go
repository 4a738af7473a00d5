package e2e

import (
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// oidcAudience is the bridge's audience for ID tokens of the zitadel OP.
const oidcAudience = "regbridge-e2e-oidc"

// oidcPolicy gives the OP's test user (sub id1) push to team/**.
const oidcPolicy = `version: 1
rules:
  - id: zitadel-team
    who: [zitadel]
    when:
      claims: {sub: id1}
    grant:
      - {repository: "team/**", actions: [pull, push]}
`

// oidcProvider is the provider entry for the OP; extra is appended inside
// the flow mapping (", max_token_age: 1s").
func oidcProvider(op *zitadelOP, extra string) string {
	return `{id: zitadel, type: oidc, issuer: "` + op.Issuer + `", audiences: [` + oidcAudience + `], usernames: [zitadel]` + extra + `}`
}

// TestE2EOIDCZitadelIDTokens is issue 5's end-to-end acceptance with a real
// OpenID Provider: the zitadel/oidc v3.51.17 example OP on loopback mints
// ID tokens without a browser; regbridge, configured with that issuer,
// verifies them through discovery and the OP's JWKS; crane pushes to
// distribution 3.1.2 with the ID token as the password, docker and oras
// log in with it; a token with the wrong audience is refused at login, and
// a token older than max_token_age + skew is refused by a bridge (in front
// of distribution 2.8.2) configured with max_token_age: 1s and skew: 1s.
func TestE2EOIDCZitadelIDTokens(t *testing.T) {
	needE2E(t)
	op := startZitadelOP(t)
	toks := op.mint(t, oidcAudience)
	if aud := audOf(jwtClaims(t, toks.Exchanged)); !slices.Contains(aud, oidcAudience) {
		t.Fatalf("the exchanged ID token has aud %v, want %s in it", aud, oidcAudience)
	}
	if aud := audOf(jwtClaims(t, toks.CodeFlow)); slices.Contains(aud, oidcAudience) {
		t.Fatalf("the code-flow ID token has aud %v, which must not name the bridge", aud)
	}

	svc := Service{Name: "registry31-oidc.test", Issuer: "regbridge-e2e-oidc", Header: headerX5C}
	bridge := startBridge(t, BridgeOptions{
		Services:       []Service{svc},
		Policy:         oidcPolicy,
		ExtraProviders: []string{oidcProvider(op, "")},
	})
	reg := startRegistry(t, reg31Bundle, bridge, svc)

	t.Run("crane pushes with the ID token as the password and pulls it back", func(t *testing.T) {
		c := newClient(t, toolCrane)
		c.MustLogin(t, reg.Host, "zitadel", toks.Exchanged)
		content := "oidc crane " + randomPassword(t)
		ref := reg.Ref("team/app:1")
		c.MustRun(t, "", "append", "-f", writeLayerTar(t, c.WorkDir(), "app", content), "-t", ref)
		out := filepath.Join(c.WorkDir(), "export.tar")
		c.MustRun(t, "", "export", ref, out)
		if got := fileInTar(t, out, "app"); got != content {
			t.Errorf("pulled back %q, want %q", got, content)
		}
	})
	t.Run("crane is denied a push outside the policy's repositories", func(t *testing.T) {
		c := newClient(t, toolCrane)
		c.MustLogin(t, reg.Host, "zitadel", toks.Exchanged)
		c.MustFail(t, refusedWords, "", "append", "-f", writeLayerTar(t, c.WorkDir(), "x", "elsewhere"), "-t", reg.Ref("other/app:1"))
	})
	t.Run("docker login succeeds with the ID token", func(t *testing.T) {
		c := newClient(t, toolDocker)
		if r := c.Login(t, reg.Host, "zitadel", toks.Exchanged); r.code != 0 || !strings.Contains(r.stdout, "Login Succeeded") {
			t.Fatalf("want Login Succeeded, got:\n%s", r)
		}
	})
	t.Run("oras login succeeds with the ID token", func(t *testing.T) {
		newClient(t, toolOras).MustLogin(t, reg.Host, "zitadel", toks.Exchanged)
	})
	t.Run("the code-flow ID token with the wrong audience is refused at login", func(t *testing.T) {
		oidcRefusedAtLogin(t, bridge, reg, toks.CodeFlow)
		if !strings.Contains(bridge.Log(t), "aud does not name this bridge") {
			t.Errorf("the regbridge log does not say why (aud does not name this bridge)")
		}
	})
	t.Run("the registry token carries the OP's subject", func(t *testing.T) {
		tok := bridge.MustToken(t, svc.Name, "zitadel", toks.Exchanged, "repository:team/app:pull")
		if sub := jwtClaims(t, tok)["sub"]; sub != "id1" {
			t.Errorf("registry token sub = %v, want id1", sub)
		}
	})

	t.Run("a token older than max_token_age plus skew is refused at login", func(t *testing.T) {
		svc28 := Service{Name: "registry28-oidc.test", Issuer: "regbridge-e2e-oidc-strict", Header: headerX5C}
		strict := startBridge(t, BridgeOptions{
			Services:       []Service{svc28},
			Policy:         oidcPolicy,
			ExtraProviders: []string{oidcProvider(op, ", max_token_age: 1s, skew: 1s")},
		})
		reg28 := startRegistry(t, reg28Bundle, strict, svc28)
		// iat ≤ Minted, so after Minted + 2 s the token is past
		// iat + max_token_age + skew; the default bridge above accepts it.
		if wait := time.Until(toks.Minted.Add(2100 * time.Millisecond)); wait > 0 {
			time.Sleep(wait)
		}
		oidcRefusedAtLogin(t, strict, reg28, toks.Exchanged)
		if !strings.Contains(strict.Log(t), "older than max_token_age") {
			t.Errorf("the regbridge log does not say the token is older than max_token_age")
		}
		if code, body := bridge.Token(t, svc.Name, "zitadel", toks.Exchanged, "repository:team/app:pull"); code != http.StatusOK {
			t.Errorf("the default bridge refused the same token: %d %s", code, body)
		}
	})
	t.Run("the regbridge log holds no ID token", func(t *testing.T) {
		for _, tok := range []string{toks.Exchanged, toks.CodeFlow} {
			sig := tok[strings.LastIndex(tok, ".")+1:]
			if strings.Contains(bridge.Log(t), sig) {
				t.Error("an ID token signature appears in the regbridge log")
			}
		}
	})
}

// oidcRefusedAtLogin checks that docker login (when the docker CLI is
// there), oras login and a direct /token request refuse tok.
func oidcRefusedAtLogin(t *testing.T, b *Bridge, reg *Registry, tok string) {
	t.Helper()
	if code, body := b.Token(t, reg.Service.Name, "zitadel", tok, "repository:team/app:pull"); code != http.StatusUnauthorized {
		t.Errorf("GET /token: %d %s, want 401", code, body)
	}
	oras := newClient(t, toolOras)
	if r := oras.Login(t, reg.Host, "zitadel", tok); r.code == 0 || !strings.Contains(strings.ToLower(r.stderr), "unauthorized") {
		t.Errorf("oras login: want an unauthorized refusal, got:\n%s", r)
	}
	t.Run("docker login", func(t *testing.T) {
		docker := newClient(t, toolDocker)
		if r := docker.Login(t, reg.Host, "zitadel", tok); r.code == 0 || !strings.Contains(strings.ToLower(r.stderr), "unauthorized") {
			t.Errorf("docker login: want an unauthorized refusal, got:\n%s", r)
		}
	})
}
