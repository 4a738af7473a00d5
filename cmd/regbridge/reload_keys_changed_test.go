package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers/oidc/oidctest"
)

const changedIssuerConfig = `services: [{name: registry.example.com, issuer: regbridge}]
keys: [{private_key: key.pem, certificate: cert.pem}]
policy: policy.yaml
public_url: https://regbridge.example
providers:
  - id: ci
    type: oidc
    issuer: "ISSUER"
    audiences: [AUDIENCE]
EXTRA`

const changedIssuerPolicy = `version: 1
rules:
  - {id: ci, who: [ci], grant: [{repository: "ci/**", actions: [pull]}]}
`

// reloadDuringOutage starts a bridge whose oidc provider loads the issuer's
// keys by discovery, takes the issuer down, reloads with the provider entry
// changed as given, and returns the status of a never-seen ID token for
// audience, and how many requests the issuer saw after it went down.
func reloadDuringOutage(t *testing.T, audience, extra string) (int, int) {
	t.Helper()
	is := oidctest.New(t, oidctest.Options{Alg: "ES256"})
	config := func(aud, extra string) string {
		entry := strings.NewReplacer("AUDIENCE", aud, "EXTRA", extra).Replace(changedIssuerConfig)
		return strings.NewReplacer("ISSUER", is.Issuer(), "JWKS_URI", is.JWKSURI()).Replace(entry)
	}
	ts, rt, dir := startBridge(t, map[string]string{
		"config.yaml": config("regbridge", ""),
		"policy.yaml": changedIssuerPolicy,
	}, time.Now)
	url := ts.URL + "/token?service=registry.example.com&scope=repository:ci/app:pull"
	if code, body := tokenStatus(t, url, "ci", is.Mint(is.Claims("regbridge", time.Now(), 10*time.Minute))); code != http.StatusOK {
		t.Fatalf("before the outage: status %d %v", code, body)
	}

	down := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "down", http.StatusBadGateway) })
	for _, p := range []string{is.DiscoveryPath(), is.JWKSPath(), "/other-keys"} {
		is.Handle(p, down)
	}
	seen := is.TotalRequests()
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(config(audience, extra)), 0o600); err != nil {
		t.Fatal(err)
	}
	rt.reload("SIGHUP")
	if r := rt.srv.LastReload(); !r.OK {
		t.Fatalf("reload refused: %+v", r)
	}
	code, _ := tokenStatus(t, url, "ci", is.Mint(is.Claims(audience, time.Now(), 10*time.Minute)))
	return code, is.TotalRequests() - seen
}

func TestAReloadThatChangesOnlyTheAudienceKeepsTheIssuersKeysDuringAnOutage(t *testing.T) {
	code, asked := reloadDuringOutage(t, "registry-next", "")
	if code != http.StatusOK {
		t.Fatalf("a new token for the new audience: status %d, want 200 from the held keys", code)
	}
	if asked != 0 {
		t.Errorf("the issuer was asked %d times after the reload, want 0", asked)
	}
}

func TestAReloadThatChangesTheJWKSURIStartsWithNoKeys(t *testing.T) {
	code, _ := reloadDuringOutage(t, "regbridge", `    jwks_uri: "ISSUER/other-keys"`+"\n")
	if code != http.StatusServiceUnavailable {
		t.Fatalf("a token signed with the old document's key: status %d, want 503 until the new document loads", code)
	}
}

func TestAReloadKeepsTheIssuersKeysOnlyWhenTheyAreReadFromTheSameDocument(t *testing.T) {
	for _, tc := range []struct {
		name, audience, extra string
		want                  int
	}{
		{"claim mapping and options changed", "regbridge",
			"    username_claim: email\n    max_token_age: 30m\n    refresh_cooldown: 2m\n    algorithms: [ES256, RS256]\n", http.StatusOK},
		{"the discovered JWKS URI named explicitly", "regbridge", `    jwks_uri: "JWKS_URI"` + "\n", http.StatusOK},
		{"another JWKS URI on the issuer", "regbridge", `    jwks_uri: "ISSUER/other-keys"` + "\n", http.StatusServiceUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, _ := reloadDuringOutage(t, tc.audience, tc.extra); code != tc.want {
				t.Fatalf("status %d after the reload, want %d", code, tc.want)
			}
		})
	}
}
