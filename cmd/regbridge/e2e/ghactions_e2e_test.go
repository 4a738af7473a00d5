package e2e

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers/oidc/oidctest"
)

// ghaAudience is the audience regbridge's metadata names for the fake
// Actions issuer.
const ghaAudience = "regbridge-e2e-gha"

// ghaPolicy gives jobs of the repository acme/app push to ci/**.
const ghaPolicy = `version: 1
rules:
  - id: acme-ci
    who: [gha]
    when:
      claims: {repository: acme/app}
    grant:
      - {repository: "ci/**", actions: [pull, push]}
`

// fakeActionsRuntime is the part of the Actions runtime a job's token
// request reaches: GET <request URL>&audience=AUD with the request token as
// Bearer, answered with {"value": "<ID token>"} signed by the fake issuer.
type fakeActionsRuntime struct {
	mu        sync.Mutex
	audiences []string // the audience of every request it answered
	refused   int      // requests without the right Bearer token
}

func (a *fakeActionsRuntime) handler(is *oidctest.Issuer, bearer string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		defer a.mu.Unlock()
		if !strings.EqualFold(r.Header.Get("Authorization"), "bearer "+bearer) || r.URL.Query().Get("api-version") == "" {
			a.refused++
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		aud := r.URL.Query().Get("audience")
		a.audiences = append(a.audiences, aud)
		claims := is.Claims(aud, time.Now(), 5*time.Minute)
		claims["sub"] = "repo:acme/app:ref:refs/heads/main"
		claims["repository"] = "acme/app"
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"value": is.Mint(claims)})
	}
}

// TestE2EGitHubActionsSourceThroughTheCredentialHelper runs the helper's
// github-actions source end to end: a fake Actions issuer (discovery and
// JWKS on loopback) with a token request URL that checks the Bearer
// request token and signs an ID token for the requested audience;
// regbridge, with an oidc provider for that issuer and discovery naming
// the audience, in front of distribution 3.1.2; crane, with credHelpers
// naming the helper and the job's ACTIONS_ID_TOKEN_REQUEST_* variables,
// pushes and pulls, each get asking the runtime for a fresh token with the
// audience from regbridge's metadata.
func TestE2EGitHubActionsSourceThroughTheCredentialHelper(t *testing.T) {
	needE2E(t)
	is := oidctest.New(t, oidctest.Options{})
	const requestToken = "actions-request-token"
	rt := &fakeActionsRuntime{}
	is.Handle("/_apis/token", rt.handler(is, requestToken))

	svc := Service{Name: "registry31-gha.test", Issuer: "regbridge-e2e-gha", Header: headerX5C}
	bridge := startBridge(t, BridgeOptions{
		Services:          []Service{svc},
		Policy:            ghaPolicy,
		ExtraProviders:    []string{`{id: gha, type: oidc, issuer: "` + is.Issuer() + `", audiences: [` + ghaAudience + `]}`},
		DiscoveryServices: []string{`{service: ` + svc.Name + `, issuers: [{issuer: "` + is.Issuer() + `", audiences: [` + ghaAudience + `]}]}`},
	})
	reg := startRegistry(t, reg31Bundle, bridge, svc)
	helper := buildCredHelper(t, "registries:\n  "+reg.Host+": {source: github-actions, issuer: \""+is.Issuer()+"\", plain_http: true}\n")

	c := newClient(t, toolCrane)
	c.Env = []string{helper.PathEnv(), "GITHUB_ACTIONS=true",
		"ACTIONS_ID_TOKEN_REQUEST_URL=" + is.ServerURL() + "/_apis/token?api-version=2.0",
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN=" + requestToken}
	writeFile(t, filepath.Join(c.Home, "docker", "config.json"), helperCredHelpersConfig(reg.Host))

	content := "actions crane " + randomPassword(t)
	ref := reg.Ref("ci/app:1")
	t0 := time.Now()
	c.MustRun(t, "", "append", "-f", writeLayerTar(t, c.WorkDir(), "app", content), "-t", ref)
	exported := filepath.Join(c.WorkDir(), "export.tar")
	c.MustRun(t, "", "export", ref, exported)
	t.Logf("crane push and pull with the github-actions source: %s", time.Since(t0).Round(time.Millisecond))
	if got := fileInTar(t, exported, "app"); got != content {
		t.Errorf("pulled back %q, want %q", got, content)
	}

	rt.mu.Lock()
	defer rt.mu.Unlock()
	if len(rt.audiences) < 2 {
		t.Errorf("the token request URL answered %d requests, want a fresh token for each crane command", len(rt.audiences))
	}
	for _, aud := range rt.audiences {
		if aud != ghaAudience {
			t.Errorf("the helper asked for audience %q, want %q from regbridge's metadata", aud, ghaAudience)
		}
	}
	if rt.refused != 0 {
		t.Errorf("%d token requests lacked the job's request token", rt.refused)
	}
	var subjects []string
	for _, e := range bridge.Audit(t) {
		if e.Endpoint == "token" && e.Outcome == "issued" && !e.Anonymous {
			subjects = append(subjects, e.Provider+" "+e.Subject)
		}
	}
	if !slices.Contains(subjects, "gha repo:acme/app:ref:refs/heads/main") {
		t.Errorf("regbridge issued no token to the Actions job; issued to %v", subjects)
	}
}
