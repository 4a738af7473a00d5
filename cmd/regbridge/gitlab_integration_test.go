package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers/gitlab/gltest"
)

const gitlabConfig = `services: [{name: registry.example.com, issuer: regbridge}]
keys: [{private_key: key.pem, certificate: cert.pem}]
cache: {ttl: 60s, negative_ttl: 10s}
policy: policy.yaml
providers:
  - id: gitlab
    type: gitlab
    base_url: GITLAB
    permission_ttl: 30s
`

const gitlabPolicy = `version: 1
rules:
  - id: gitlab-projects
    who: [gitlab]
    grant:
      - {repository: "**", actions: [pull, push, delete], forge: same-path}
tests:
  - name: a developer pushes to the project of the same path
    identity: {provider: gitlab, subject: "7", username: jdoe, repositories: {acme/platform/api: write}}
    request: ["repository:acme/platform/api:pull,push"]
    expect: ["repository:acme/platform/api:pull,push"]
`

// gitlabBridge is the real server built from gitlabConfig against a fake
// GitLab that shares its clock: jdoe (7) Developer in acme, rita (8)
// Reporter in acme, outsider (10) in nothing, mallory (9) blocked.
type gitlabBridge struct {
	ts    *httptest.Server
	gl    *gltest.Server
	clock *gltest.Clock
}

func startGitLabBridge(t *testing.T) *gitlabBridge {
	t.Helper()
	clock := gltest.NewClock(time.Unix(1_900_000_000, 0))
	gl := gltest.New(t, gltest.Options{Now: clock.Now})
	for _, u := range []gltest.User{{ID: 7, Username: "jdoe"}, {ID: 8, Username: "rita"}, {ID: 9, Username: "mallory", State: gltest.StateBlocked}, {ID: 10, Username: "outsider"}} {
		gl.AddUser(u)
	}
	gl.AddProject(gltest.Project{Path: "acme/app"})
	gl.AddProject(gltest.Project{Path: "acme/platform/api"})
	gl.AddGroupMember("acme", 7, gltest.Developer)
	gl.AddGroupMember("acme", 8, gltest.Reporter)
	gl.AddGroupMember("acme", 9, gltest.Owner)
	ts, _, _ := startBridge(t, map[string]string{
		"config.yaml": strings.Replace(gitlabConfig, "GITLAB", gl.URL, 1),
		"policy.yaml": gitlabPolicy,
	}, clock.Now)
	return &gitlabBridge{ts: ts, gl: gl, clock: clock}
}

// token asks for a registry token the way docker does after `docker login
// -u <user> -p <token>` and returns the status, Retry-After and the granted
// access ("repository:acme/app:pull,push …").
func (b *gitlabBridge) token(t *testing.T, user, pass string, scopes ...string) (int, string, string) {
	t.Helper()
	u := b.ts.URL + "/token?service=registry.example.com&account=" + user
	for _, s := range scopes {
		u += "&scope=" + s
	}
	req, _ := http.NewRequest("GET", u, nil)
	req.SetBasicAuth(user, pass)
	req.Header.Set("User-Agent", "docker/27.5.1 go/go1.22.10 os/linux arch/amd64")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0, "", ""
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != 200 {
		return resp.StatusCode, resp.Header.Get("Retry-After"), ""
	}
	tok, _ := body["token"].(string)
	return 200, "", accessString(decodeClaims(t, tok))
}

func TestGitLabProjectRolesBecomeRegistryActionsThroughTheBridge(t *testing.T) {
	b := startGitLabBridge(t)
	cases := []struct {
		name   string
		user   string
		token  string
		scopes []string
		status int
		want   string
	}{
		{"a developer pulls and pushes", "jdoe", b.gl.AddPAT(7, "read_api", "write_registry"),
			[]string{"repository:acme/app:pull,push"}, 200, "repository:acme/app:pull,push"},
		{"a developer cannot delete", "jdoe", b.gl.AddPAT(7, "api"),
			[]string{"repository:acme/app:pull,push,delete"}, 200, "repository:acme/app:pull,push"},
		{"nested group paths are the same path", "jdoe", b.gl.AddPAT(7, "read_api", "write_registry"),
			[]string{"repository:acme/platform/api:push"}, 200, "repository:acme/platform/api:push"},
		{"a reporter only pulls", "rita", b.gl.AddPAT(8, "read_api", "write_registry"),
			[]string{"repository:acme/app:pull,push"}, 200, "repository:acme/app:pull"},
		{"a read_registry token of a developer only pulls", "jdoe", b.gl.AddPAT(7, "read_api", "read_registry"),
			[]string{"repository:acme/app:pull,push"}, 200, "repository:acme/app:pull"},
		{"no access gets nothing", "outsider", b.gl.AddPAT(10, "read_api", "write_registry"),
			[]string{"repository:acme/app:pull"}, 200, ""},
		{"a project that does not exist gets nothing", "jdoe", b.gl.AddPAT(7, "api"),
			[]string{"repository:acme/missing:pull"}, 200, ""},
		{"the Basic username does not choose the identity", "rita", b.gl.AddPAT(7, "read_api", "write_registry"),
			[]string{"repository:acme/app:pull,push"}, 200, "repository:acme/app:pull,push"},
		{"a blocked user is refused", "mallory", b.gl.AddPAT(9, "api"),
			[]string{"repository:acme/app:pull"}, 401, ""},
		{"a registry-only PAT is refused", "jdoe", b.gl.AddPAT(7, "read_registry", "write_registry"),
			[]string{"repository:acme/app:pull"}, 401, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, _, got := b.token(t, c.user, c.token, c.scopes...)
			if status != c.status || got != c.want {
				t.Errorf("status %d granted %q; want %d %q", status, got, c.status, c.want)
			}
		})
	}
}

func TestAGitLabRateLimitIs503WithRetryAfterAndRecoversByItself(t *testing.T) {
	b := startGitLabBridge(t)
	tok := b.gl.AddPAT(7, "read_api", "write_registry")
	// Login takes three calls (token, user, groups); the fourth, the
	// permission call, is over the limit. The window ends in 20 s.
	b.gl.SetRateLimit(3)
	status, retry, _ := b.token(t, "jdoe", tok, "repository:acme/app:pull,push")
	if status != 503 || retry != "20" {
		t.Fatalf("rate limited: status %d Retry-After %q; want 503 and 20", status, retry)
	}
	b.clock.Advance(20 * time.Second)
	status, _, got := b.token(t, "jdoe", tok, "repository:acme/app:pull,push")
	if status != 200 || got != "repository:acme/app:pull,push" {
		t.Fatalf("after the window: status %d granted %q", status, got)
	}
	b.gl.SetRateLimit(0)
	b.gl.SetFault(gltest.FaultBadGateway)
	fresh := b.gl.AddPAT(7, "read_api", "write_registry")
	if status, retry, _ := b.token(t, "jdoe", fresh, "repository:acme/app:pull"); status != 503 || retry == "" {
		t.Errorf("GitLab down: status %d Retry-After %q; want 503 with a hint", status, retry)
	}
	b.gl.SetFault(gltest.FaultNone)
	if status, _, got := b.token(t, "jdoe", fresh, "repository:acme/app:pull"); status != 200 || got != "repository:acme/app:pull" {
		t.Errorf("GitLab back: status %d granted %q", status, got)
	}
}

func TestHundredConcurrentGitLabTokenRequestsMakeOneUserCallAndOnePermissionCallPerRepository(t *testing.T) {
	b := startGitLabBridge(t)
	tok := b.gl.AddPAT(7, "read_api", "write_registry")
	scopes := []string{"repository:acme/app:pull,push", "repository:acme/platform/api:pull"}
	burst := func() {
		var wg sync.WaitGroup
		for i := 0; i < 100; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if status, _, got := b.token(t, "jdoe", tok, scopes...); status != 200 || got != "repository:acme/app:pull,push repository:acme/platform/api:pull" {
					t.Errorf("status %d granted %q", status, got)
				}
			}()
		}
		wg.Wait()
	}
	counts := func() [5]int {
		return [5]int{
			b.gl.CountEndpoint(gltest.EndpointTokenSelf), b.gl.CountEndpoint(gltest.EndpointUser), b.gl.CountEndpoint(gltest.EndpointGroups),
			b.gl.CountPath("/api/v4/projects/acme%2Fapp"), b.gl.CountPath("/api/v4/projects/acme%2Fplatform%2Fapi"),
		}
	}
	burst()
	if got, want := counts(), [5]int{1, 1, 1, 1, 1}; got != want {
		t.Fatalf("calls (token, user, groups, acme/app, acme/platform/api) = %v for 100 requests, want %v", got, want)
	}
	b.clock.Advance(31 * time.Second) // past permission_ttl, within the identity cache ttl
	burst()
	if got, want := counts(), [5]int{1, 1, 1, 2, 2}; got != want {
		t.Fatalf("after permission_ttl: calls = %v, want %v", got, want)
	}
	if n := b.gl.Count(); n != 7 {
		t.Errorf("%d calls in all, want 7", n)
	}
}
