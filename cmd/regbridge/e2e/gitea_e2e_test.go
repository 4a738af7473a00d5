package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers/gitea/giteatest"
)

// giteaPermissionTTL is the provider's permission_ttl in the e2e worlds.
const giteaPermissionTTL = 4 * time.Second

// giteaWorld is a real Gitea (giteatest's cast) behind its counting proxy,
// a bridge whose provider `forgejo` (type gitea) asks it, with the shipped
// testdata/policies/forge.yaml, and a real registry.
type giteaWorld struct {
	forge  *giteatest.Server
	cast   *giteatest.Cast
	bridge *Bridge
	reg    *Registry
}

// TestE2EGitea is issue 10's end-to-end acceptance against a real Gitea
// 1.27.3: docker, crane and oras log in with Gitea tokens, registry access
// follows the forge's teams on acme/app, token scopes cap it, revoked
// tokens and suspended users are refused, a stopped forge is a 503 that
// heals by itself, and the forge sees one user call and one permission
// call however many token requests arrive at once.
func TestE2EGitea(t *testing.T) {
	needE2E(t)
	for _, v := range []RegistryVersion{reg31Bundle, reg30Bundle, reg28Bundle} {
		t.Run(v.Label, func(t *testing.T) {
			w := startGiteaWorld(t, v)
			for _, sc := range giteaScenarios {
				t.Run(sc.name, func(t *testing.T) { sc.run(t, w) })
			}
		})
	}
}

func startGiteaWorld(t *testing.T, v RegistryVersion) *giteaWorld {
	t.Helper()
	forge := giteatest.Start(t)
	w := &giteaWorld{forge: forge, cast: giteatest.Seed(t, forge)}
	port := freePort(t)
	svc := Service{Name: "localhost:" + itoa(port), Issuer: "regbridge-e2e-gitea", Header: headerX5C}
	w.bridge = startBridge(t, BridgeOptions{
		Services: []Service{svc},
		Policy:   readRepoFile(t, "testdata/policies/forge.yaml"),
		ExtraProviders: []string{
			`{id: forgejo, type: gitea, base_url: "` + forge.URL + `", timeout: 5s, permission_ttl: ` + giteaPermissionTTL.String() + `}`,
		},
	})
	w.reg = startRegistryAt(t, v, w.bridge, svc, port)
	return w
}

// token mints a fresh personal access token (so that nothing is cached).
func (w *giteaWorld) token(t *testing.T, user, scopes string) string {
	t.Helper()
	return w.forge.Token(t, user, "e2e-"+randomPassword(t)[:12], scopes)
}

// granted asks /token for scope and returns the actions granted on repo.
func (w *giteaWorld) granted(t *testing.T, user, tok, repo, actions string) (int, []string) {
	t.Helper()
	code, body := w.bridge.Token(t, w.reg.Service.Name, user, tok, "repository:"+repo+":"+actions)
	if code != http.StatusOK {
		return code, nil
	}
	var tr tokenResponse
	if err := json.Unmarshal(body, &tr); err != nil {
		t.Fatal(err)
	}
	var access []struct {
		Name    string   `json:"name"`
		Actions []string `json:"actions"`
	}
	raw, _ := json.Marshal(jwtClaims(t, tr.Token)["access"])
	if err := json.Unmarshal(raw, &access); err != nil {
		t.Fatal(err)
	}
	for _, a := range access {
		if a.Name == repo {
			return code, a.Actions
		}
	}
	return code, []string{}
}

var giteaScenarios = []struct {
	name string
	run  func(t *testing.T, w *giteaWorld)
}{
	{"docker login with a Gitea token succeeds", func(t *testing.T, w *giteaWorld) {
		c := newClient(t, toolDocker)
		if r := c.Login(t, w.reg.Host, "bob", w.cast.Tokens["bob"]); r.code != 0 || !strings.Contains(r.stdout, "Login Succeeded") {
			t.Fatalf("want Login Succeeded, got:\n%s", r)
		}
	}},
	{"a writers member pushes acme/app with crane and pulls it back", func(t *testing.T, w *giteaWorld) {
		c := newClient(t, toolCrane)
		c.MustLogin(t, w.reg.Host, "bob", w.cast.Tokens["bob"])
		content := "gitea crane " + randomPassword(t)
		ref := w.reg.Ref("acme/app:crane")
		c.MustRun(t, "", "append", "-f", writeLayerTar(t, c.WorkDir(), "app", content), "-t", ref)
		out := filepath.Join(c.WorkDir(), "export.tar")
		c.MustRun(t, "", "export", ref, out)
		if got := fileInTar(t, out, "app"); got != content {
			t.Errorf("pulled back %q, want %q", got, content)
		}
	}},
	{"a writers member pushes acme/app with oras and pulls it back", func(t *testing.T, w *giteaWorld) {
		c := newClient(t, toolOras)
		c.MustLogin(t, w.reg.Host, "bob", w.cast.Tokens["bob"])
		orasPushAndPullBack(t, c, w.reg.Ref("acme/app:oras"), "gitea oras "+randomPassword(t))
	}},
	{"a readers member pulls acme/app but cannot push", func(t *testing.T, w *giteaWorld) {
		c := newClient(t, toolCrane)
		c.MustLogin(t, w.reg.Host, "alice", w.cast.Tokens["alice"])
		c.MustRun(t, "", "export", w.reg.Ref("acme/app:crane"), filepath.Join(c.WorkDir(), "export.tar"))
		c.MustFail(t, refusedWords, "", "append", "-f", writeLayerTar(t, c.WorkDir(), "x", "reader"), "-t", w.reg.Ref("acme/app:reader"))
	}},
	{"a non-member can neither pull nor push the private acme/app", func(t *testing.T, w *giteaWorld) {
		c := newClient(t, toolCrane)
		c.MustLogin(t, w.reg.Host, "carol", w.cast.Tokens["carol"])
		c.MustFail(t, refusedWords, "", "export", w.reg.Ref("acme/app:crane"), filepath.Join(c.WorkDir(), "export.tar"))
		c.MustFail(t, refusedWords, "", "append", "-f", writeLayerTar(t, c.WorkDir(), "x", "stranger"), "-t", w.reg.Ref("acme/app:stranger"))
		o := newClient(t, toolOras)
		o.MustLogin(t, w.reg.Host, "carol", w.cast.Tokens["carol"])
		o.MustFail(t, refusedWords, "", "pull", w.reg.Ref("acme/app:oras"), "-o", "back")
	}},
	{"a read:package token of a writers member pulls but cannot push", func(t *testing.T, w *giteaWorld) {
		tok := w.token(t, "bob", giteatest.ReadPackageScopes)
		c := newClient(t, toolCrane)
		c.MustLogin(t, w.reg.Host, "bob", tok)
		c.MustRun(t, "", "export", w.reg.Ref("acme/app:crane"), filepath.Join(c.WorkDir(), "export.tar"))
		c.MustFail(t, refusedWords, "", "append", "-f", writeLayerTar(t, c.WorkDir(), "x", "ro"), "-t", w.reg.Ref("acme/app:ro"))
		o := newClient(t, toolOras)
		o.MustLogin(t, w.reg.Host, "bob", tok)
		writeFile(t, filepath.Join(o.WorkDir(), "note.txt"), "ro")
		o.MustFail(t, refusedWords, "", "push", w.reg.Ref("acme/app:ro"), "note.txt")
	}},
	{"a revoked token is refused at login", func(t *testing.T, w *giteaWorld) {
		name := "revoke-" + randomPassword(t)[:8]
		tok := w.forge.Token(t, "alice", name, giteatest.RegistryScopes)
		if code, acts := w.granted(t, "alice", tok, "acme/app", "pull"); code != 200 || !slices.Equal(acts, []string{"pull"}) {
			t.Fatalf("before revocation: %d %v", code, acts)
		}
		w.forge.RevokeToken(t, "alice", name)
		// The permission answer is cached for permission_ttl; the next
		// question to the forge meets the revocation and drops the identity.
		time.Sleep(giteaPermissionTTL + 500*time.Millisecond)
		if code, _ := w.granted(t, "alice", tok, "acme/app", "pull"); code != http.StatusUnauthorized {
			t.Errorf("after revocation: /token %d, want 401", code)
		}
		giteaRefusedAtLogin(t, w, "alice", tok)
	}},
	{"a suspended user is refused at login", func(t *testing.T, w *giteaWorld) {
		tok := w.token(t, "carol", giteatest.RegistryScopes)
		w.forge.SetProhibitLogin(t, "carol", true)
		defer w.forge.SetProhibitLogin(t, "carol", false)
		giteaRefusedAtLogin(t, w, "carol", tok)
	}},
	{"100 concurrent token requests with one fresh token cost one user call and one permission call, and one more after the TTL", func(t *testing.T, w *giteaWorld) {
		tok := w.token(t, "bob", giteatest.RegistryScopes)
		w.forge.ResetCalls()
		codes := concurrentTokens(t, w, "bob", tok, "repository:acme/app:pull,push", 100)
		if codes[http.StatusOK] != 100 {
			t.Fatalf("statuses %v, want 100 × 200", codes)
		}
		calls := w.forge.AllCalls()
		t.Logf("forge calls for 100 concurrent requests: %v", calls)
		if n := calls["GET /api/v1/user"]; n != 1 {
			t.Errorf("GET /api/v1/user: %d calls, want 1", n)
		}
		if n := calls["GET /api/v1/repos/acme/app"]; n != 1 {
			t.Errorf("GET /api/v1/repos/acme/app: %d calls, want 1", n)
		}
		time.Sleep(giteaPermissionTTL + 500*time.Millisecond)
		w.forge.ResetCalls()
		if codes := concurrentTokens(t, w, "bob", tok, "repository:acme/app:pull,push", 100); codes[http.StatusOK] != 100 {
			t.Fatalf("after the TTL: statuses %v", codes)
		}
		calls = w.forge.AllCalls()
		t.Logf("forge calls after the permission TTL: %v", calls)
		if n := calls["GET /api/v1/repos/acme/app"]; n != 1 {
			t.Errorf("after the TTL: GET /api/v1/repos/acme/app: %d calls, want 1", n)
		}
		if n := calls["GET /api/v1/user"]; n != 0 {
			t.Errorf("after the TTL: GET /api/v1/user: %d calls, want 0 (the identity is still cached)", n)
		}
	}},
	{"forge calls per login and per push of one image", func(t *testing.T, w *giteaWorld) {
		tok := w.token(t, "bob", giteatest.RegistryScopes)
		w.forge.ResetCalls()
		o := newClient(t, toolOras)
		o.MustLogin(t, w.reg.Host, "bob", tok)
		login := w.forge.AllCalls()
		w.forge.ResetCalls()
		c := newClient(t, toolCrane)
		c.MustLogin(t, w.reg.Host, "bob", tok)
		c.MustRun(t, "", "append", "-f", writeLayerTar(t, c.WorkDir(), "m", "measure"), "-t", w.reg.Ref("acme/app:measure"))
		push := w.forge.AllCalls()
		t.Logf("forge calls for one oras login: %v; for one crane push after it: %v", login, push)
		if login["GET /api/v1/user"] != 1 || push["GET /api/v1/user"] != 0 || push["GET /api/v1/repos/acme/app"] != 1 {
			t.Errorf("login %v, push %v: want one user call at login and one permission call for the push", login, push)
		}
	}},
	{"the forge stopped is a 503 with Retry-After and the same token works once it is back, without a restart", func(t *testing.T, w *giteaWorld) {
		tok := w.token(t, "bob", giteatest.RegistryScopes)
		w.forge.Stop(t)
		started := false
		defer func() {
			if !started {
				w.forge.Start(t)
			}
		}()
		resp := rawToken(t, w, "bob", tok, "repository:acme/app:pull,push")
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
			t.Errorf("forge stopped: %d Retry-After %q, want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		w.forge.Start(t)
		started = true
		if code, acts := w.granted(t, "bob", tok, "acme/app", "pull,push"); code != 200 || !slices.Equal(acts, []string{"pull", "push"}) {
			t.Errorf("forge back: %d %v, want pull and push", code, acts)
		}
		c := newClient(t, toolCrane)
		c.MustLogin(t, w.reg.Host, "bob", tok)
		c.MustRun(t, "", "append", "-f", writeLayerTar(t, c.WorkDir(), "b", "back"), "-t", w.reg.Ref("acme/app:back"))
	}},
}

// giteaRefusedAtLogin checks that /token, oras login and docker login (when
// the docker CLI is there) refuse user's tok.
func giteaRefusedAtLogin(t *testing.T, w *giteaWorld, user, tok string) {
	t.Helper()
	if code, body := w.bridge.Token(t, w.reg.Service.Name, user, tok); code != http.StatusUnauthorized {
		t.Errorf("GET /token: %d %s, want 401", code, body)
	}
	oras := newClient(t, toolOras)
	if r := oras.Login(t, w.reg.Host, user, tok); r.code == 0 || !strings.Contains(strings.ToLower(r.stderr), "unauthorized") {
		t.Errorf("oras login: want an unauthorized refusal, got:\n%s", r)
	}
	t.Run("docker login", func(t *testing.T) {
		docker := newClient(t, toolDocker)
		if r := docker.Login(t, w.reg.Host, user, tok); r.code == 0 || !strings.Contains(strings.ToLower(r.stderr), "unauthorized") {
			t.Errorf("docker login: want an unauthorized refusal, got:\n%s", r)
		}
	})
}

// rawToken is one GET /token whose response the caller inspects.
func rawToken(t *testing.T, w *giteaWorld, user, tok, scope string) *http.Response {
	t.Helper()
	q := url.Values{"service": {w.reg.Service.Name}, "scope": {scope}}
	req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:"+itoa(w.bridge.Port)+"/token?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, tok)
	resp, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// concurrentTokens sends n GET /token requests at once and counts statuses.
func concurrentTokens(t *testing.T, w *giteaWorld, user, tok, scope string, n int) map[int]int {
	t.Helper()
	q := url.Values{"service": {w.reg.Service.Name}, "scope": {scope}}
	u := "http://127.0.0.1:" + itoa(w.bridge.Port) + "/token?" + q.Encode()
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: n}}
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			req, _ := http.NewRequest(http.MethodGet, u, nil)
			req.SetBasicAuth(user, tok)
			code := 0
			if resp, err := client.Do(req); err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				code = resp.StatusCode
			}
			mu.Lock()
			codes[code]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return codes
}
