package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// githubEndpoint behaves like the Actions runtime's token request URL: it
// checks the bearer token, reads the audience parameter, and answers
// {"count":…,"value":"<JWT>"} with a new token each time.
func githubEndpoint(t *testing.T, bearer string) (*httptest.Server, *atomic.Int32, *atomic.Value) {
	t.Helper()
	var n atomic.Int32
	var lastAud atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "bearer "+bearer {
			http.Error(w, `{"message":"Unauthorized"}`, http.StatusUnauthorized)
			return
		}
		if r.URL.Query().Get("api-version") != "2.0" {
			http.Error(w, "lost the api-version parameter", http.StatusBadRequest)
			return
		}
		aud := r.URL.Query().Get("audience")
		lastAud.Store(aud)
		i := n.Add(1)
		json.NewEncoder(w).Encode(map[string]any{"count": 1, "value": fakeJWT(t, map[string]any{"aud": aud, "n": i})})
	}))
	t.Cleanup(srv.Close)
	return srv, &n, &lastAud
}

func TestGitHubActionsSourceMintsAFreshTokenWithTheMetadatasAudienceOnEveryGet(t *testing.T) {
	w := newWorld(t)
	gh, n, aud := githubEndpoint(t, "run-token")
	w.env["ACTIONS_ID_TOKEN_REQUEST_URL"] = gh.URL + "/_apis/token?api-version=2.0"
	w.env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = "run-token"
	w.env["GITHUB_ACTIONS"] = "true"
	w.configure(t, "registries:\n  "+w.host+": {plain_http: true}\n")
	first := w.mustGet(t, w.host)
	second := w.mustGet(t, w.host)
	if first.Secret == second.Secret || n.Load() != 2 {
		t.Errorf("two gets gave the same token (%d requests)", n.Load())
	}
	if got := aud.Load(); got != "aud-from-metadata" {
		t.Errorf("audience = %v, want aud-from-metadata", got)
	}
	w.configure(t, "registries:\n  "+w.host+": {source: github-actions, audience: configured, plain_http: true}\n")
	w.mustGet(t, w.host)
	if got := aud.Load(); got != "configured" {
		t.Errorf("audience = %v, want the configured one", got)
	}
}

func TestGitHubActionsSourceFailsWithAWrongRequestToken(t *testing.T) {
	w := newWorld(t)
	gh, _, _ := githubEndpoint(t, "run-token")
	w.env["ACTIONS_ID_TOKEN_REQUEST_URL"] = gh.URL + "/_apis/token?api-version=2.0"
	w.env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = "stale"
	w.configure(t, "registries:\n  "+w.host+": {source: github-actions, plain_http: true}\n")
	out, code := w.call(t, w.host, "get")
	if code != 1 || !strings.Contains(out, "401") || strings.Contains(out, "stale") {
		t.Errorf("get: exit %d %q", code, out)
	}
}

func TestTheGitHubRequestTokenIsSentOnlyOverHTTPSOrLoopback(t *testing.T) {
	w := newWorld(t)
	w.env["ACTIONS_ID_TOKEN_REQUEST_URL"] = "http://actions.example/_apis/token?api-version=2.0"
	w.env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = "run-token"
	w.configure(t, "registries:\n  "+w.host+": {source: github-actions, plain_http: true}\n")
	out, code := w.call(t, w.host, "get")
	if code != 1 || !strings.Contains(out, "https") {
		t.Errorf("get: exit %d %q, want a refusal of plain http", code, out)
	}
}

func TestKubernetesSourceReadsTheProjectedTokenAnewAfterRotation(t *testing.T) {
	w := newWorld(t)
	dir := t.TempDir()
	// The kubelet rotates projected tokens by swapping a symlinked
	// directory (..data); replace the target the same way.
	write := func(name, tok string) {
		d := filepath.Join(dir, name)
		os.MkdirAll(d, 0o755)
		os.WriteFile(filepath.Join(d, "token"), []byte(tok), 0o600)
		tmp := filepath.Join(dir, "..data_tmp")
		os.Remove(tmp)
		if err := os.Symlink(d, tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
			t.Fatal(err)
		}
	}
	write("v1", "token-one")
	os.Symlink(filepath.Join("..data", "token"), filepath.Join(dir, "token"))
	w.configure(t, "registries:\n  "+w.host+": {source: kubernetes, file: "+filepath.Join(dir, "token")+", plain_http: true}\n")
	if got := w.mustGet(t, w.host).Secret; got != "token-one" {
		t.Fatalf("before rotation: %q", got)
	}
	write("v2", "token-two")
	if got := w.mustGet(t, w.host).Secret; got != "token-two" {
		t.Errorf("after rotation: %q, want token-two", got)
	}
}

func TestEnvCommandGitLabAndCircleCISources(t *testing.T) {
	w := newWorld(t)
	w.env["MY_TOKEN"] = "from-env"
	w.env["REGBRIDGE_ID_TOKEN"] = "from-gitlab"
	w.env["CIRCLE_OIDC_TOKEN_V2"] = "from-circle"
	var ran []string
	w.h.command = func(_ context.Context, argv []string, env []string) ([]byte, error) {
		ran = append(ran, strings.Join(argv, " ")+" "+strings.Join(env, " "))
		return []byte("from-command\n"), nil
	}
	tests := []struct{ cfg, want string }{
		{"{source: env, variable: MY_TOKEN}", "from-env"},
		{"{source: gitlab-ci}", "from-gitlab"},
		{"{source: circleci}", "from-circle"},
		{"{source: command, command: [mint, --fresh]}", "from-command"},
		{"{source: buildkite, audience: bk-aud}", "from-command"},
	}
	for _, tc := range tests {
		w.configure(t, "registries:\n  "+w.host+": "+strings.Replace(tc.cfg, "}", ", plain_http: true}", 1)+"\n")
		if got := w.mustGet(t, w.host).Secret; got != tc.want {
			t.Errorf("%s: %q, want %q", tc.cfg, got, tc.want)
		}
	}
	want := []string{"mint --fresh REGBRIDGE_REGISTRY=" + w.host, "buildkite-agent oidc request-token --audience bk-aud "}
	if fmt.Sprint(ran) != fmt.Sprint(want) {
		t.Errorf("commands run: %q, want %q", ran, want)
	}
}

func TestAutoFindsNothingOutsideCIAndWithoutALogin(t *testing.T) {
	w := newWorld(t)
	w.configure(t, "registries:\n  "+w.host+": {file: /nonexistent/token, plain_http: true}\n")
	if out, code := w.call(t, w.host, "get"); code != 1 || strings.TrimSpace(out) != errNotFound.Error() {
		t.Errorf("get: exit %d %q", code, out)
	}
}
