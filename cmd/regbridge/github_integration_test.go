package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers/github/ghtest"
)

const githubConfig = `services: [{name: registry.example.com, issuer: regbridge}]
keys: [{private_key: key.pem, certificate: cert.pem}]
cache: {ttl: 60s, negative_ttl: 10s}
policy: policy.yaml
providers:
  - id: github
    type: github
    base_url: GHES
    usernames: ["*"]
    permission_ttl: 60s
`

const githubPolicy = `version: 1
rules:
  - id: forge-repositories
    who: [github]
    grant:
      - {repository: "**", actions: [pull, push, delete], forge: owner-repo}
tests:
  - name: a team writer pushes
    identity: {provider: github, subject: "101", username: alice, repositories: {acme/app: write}}
    request: ["repository:acme/app:pull,push"]
    expect: ["repository:acme/app:pull,push"]
`

// githubBridge is the real server, built from githubConfig, in front of a
// fake GitHub Enterprise Server sharing the bridge's clock: alice writes
// acme/app and acme/lib through the team acme/writers, bob reads acme/app
// through acme/readers, carol is in no team.
type githubBridge struct {
	ts    *httptest.Server
	gh    *ghtest.Server
	clock *ghtest.Clock
}

func startGitHubBridge(t *testing.T, opts ghtest.Options) *githubBridge {
	t.Helper()
	clock := ghtest.NewClock(time.Now())
	opts.Now, opts.Enterprise = clock.Now, true
	gh := ghtest.New(t, opts)
	gh.AddUser(ghtest.User{ID: 101, Login: "alice"})
	gh.AddUser(ghtest.User{ID: 102, Login: "bob"})
	gh.AddUser(ghtest.User{ID: 103, Login: "carol"})
	gh.AddOrg("acme")
	gh.AddTeam("acme", "writers", "alice")
	gh.AddTeam("acme", "readers", "bob")
	for _, r := range []string{"acme/app", "acme/lib"} {
		gh.AddRepo(r, true)
		gh.GrantTeam(r, "acme/writers", ghtest.RoleWrite)
	}
	gh.GrantTeam("acme/app", "acme/readers", ghtest.RoleRead)
	ts, _, _ := startBridge(t, map[string]string{
		"config.yaml": strings.Replace(githubConfig, "GHES", gh.URL, 1),
		"policy.yaml": githubPolicy,
	}, clock.Now)
	return &githubBridge{ts: ts, gh: gh, clock: clock}
}

// token asks for a docker-shaped token with Basic login:tok and returns
// the status, the granted access and the Retry-After header.
func (b *githubBridge) token(t *testing.T, login, tok string, scopes ...string) (int, string, string) {
	t.Helper()
	url := b.ts.URL + "/token?service=registry.example.com"
	for _, s := range scopes {
		url += "&scope=" + s
	}
	req, _ := http.NewRequest("GET", url, nil)
	req.SetBasicAuth(login, tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0, "", ""
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != 200 {
		return resp.StatusCode, "", resp.Header.Get("Retry-After")
	}
	return 200, accessString(decodeClaims(t, body["token"].(string))), ""
}

func TestGitHubForgePermissionsDecideDockerTokens(t *testing.T) {
	b := startGitHubBridge(t, ghtest.Options{})
	scope := "repository:acme/app:pull,push"
	tests := []struct {
		name, login string
		scopes      []string
		want        string
	}{
		{"a team writer gets pull and push", "alice", []string{"write:packages", "read:org", "repo"}, "repository:acme/app:pull,push"},
		{"a team reader gets pull only", "bob", []string{"write:packages", "read:org", "repo"}, "repository:acme/app:pull"},
		{"a writer's read:packages token gets pull only", "alice", []string{"read:packages", "read:org", "repo"}, "repository:acme/app:pull"},
		{"a stranger gets nothing", "carol", []string{"write:packages", "read:org", "repo"}, ""},
		{"a writer's token without repo cannot see the private repository", "alice", []string{"write:packages", "read:org"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := b.gh.Classic(tt.login, tt.scopes...)
			code, got, _ := b.token(t, "whoever", tok, scope)
			if code != 200 || got != tt.want {
				t.Errorf("status %d granted %q, want 200 %q", code, got, tt.want)
			}
		})
	}
	if code, _, _ := b.token(t, "alice", "ghp_notatokenGitHubKnows0000000000000000"); code != 401 {
		t.Errorf("an unknown token: status %d, want 401", code)
	}
}

func TestGitHubRateLimitsAre503WithRetryAfterAndRecoverByThemselves(t *testing.T) {
	b := startGitHubBridge(t, ghtest.Options{RateLimit: 1000})
	tok := b.gh.Classic("alice", "write:packages", "read:org", "repo")
	scope := "repository:acme/app:pull,push"

	b.gh.ExhaustRateLimit("alice")
	b.clock.Advance(59 * time.Minute)
	code, _, retry := b.token(t, "alice", tok, scope)
	if code != 503 || retry != "60" {
		t.Fatalf("primary limit at login: status %d Retry-After %q, want 503 60", code, retry)
	}
	b.clock.Advance(time.Minute)
	if code, got, _ := b.token(t, "alice", tok, scope); code != 200 || got != "repository:acme/app:pull,push" {
		t.Fatalf("after the reset: status %d granted %q", code, got)
	}

	b.gh.SetFaultFor(ghtest.EndpointRepo, ghtest.FaultSecondaryLimit)
	code, _, retry = b.token(t, "alice", tok, "repository:acme/lib:pull,push")
	if code != 503 || retry != "60" {
		t.Fatalf("secondary limit on the permission call: status %d Retry-After %q, want 503 60", code, retry)
	}
	b.gh.SetFaultFor(ghtest.EndpointRepo, ghtest.FaultNone)
	if code, got, _ := b.token(t, "alice", tok, "repository:acme/lib:pull,push"); code != 200 || got != "repository:acme/lib:pull,push" {
		t.Fatalf("after the secondary limit: status %d granted %q", code, got)
	}

	b.gh.SetFault(ghtest.FaultBadGateway)
	fresh := b.gh.Classic("alice", "write:packages", "read:org", "repo")
	if code, _, retry := b.token(t, "alice", fresh, scope); code != 503 || retry == "" {
		t.Fatalf("GitHub down: status %d Retry-After %q, want 503 with a hint", code, retry)
	}
	b.gh.SetFault(ghtest.FaultNone)
	if code, _, _ := b.token(t, "alice", fresh, scope); code != 200 {
		t.Fatalf("GitHub back: status %d, want 200 (outages are not cached)", code)
	}
}

func TestHundredConcurrentGitHubTokenRequestsMakeOneUserCallAndOnePermissionCallPerRepository(t *testing.T) {
	b := startGitHubBridge(t, ghtest.Options{})
	tok := b.gh.Classic("alice", "write:packages", "read:org", "repo")
	scopes := []string{"repository:acme/app:pull,push", "repository:acme/lib:pull"}
	burst := func() {
		var wg sync.WaitGroup
		for i := 0; i < 100; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if code, got, _ := b.token(t, "alice", tok, scopes...); code != 200 || got != "repository:acme/app:pull,push repository:acme/lib:pull" {
					t.Errorf("status %d granted %q", code, got)
				}
			}()
		}
		wg.Wait()
	}
	counts := func() [5]int {
		return [5]int{b.gh.Count(ghtest.EndpointUser), b.gh.Count(ghtest.EndpointOrgs), b.gh.Count(ghtest.EndpointTeams), b.gh.CountRepo("acme/app"), b.gh.CountRepo("acme/lib")}
	}
	burst()
	if got, want := counts(), [5]int{1, 1, 1, 1, 1}; got != want {
		t.Fatalf("calls (user, orgs, teams, acme/app, acme/lib) = %v, want %v", got, want)
	}
	t.Logf("100 concurrent requests: %d GitHub calls in all", b.gh.Count(""))
	b.clock.Advance(61 * time.Second)
	burst()
	if got, want := counts(), [5]int{2, 2, 2, 2, 2}; got != want {
		t.Fatalf("after the TTL: calls = %v, want %v", got, want)
	}
}
