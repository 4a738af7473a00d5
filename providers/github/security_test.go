package github

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/github/ghtest"
)

func TestAForgeTokenIsNeverSentToAnyHostButItsForgesAPI(t *testing.T) {
	clock := ghtest.NewClock(time.Unix(1_900_000_000, 0))
	gh := ghtest.New(t, ghtest.Options{TLS: true, Now: clock.Now})
	world(gh)
	var mu sync.Mutex
	var dialed []string
	client := gh.DialTo(func(hp string) { mu.Lock(); dialed = append(dialed, hp); mu.Unlock() })
	cfg := Config{}
	cfg.BaseURL = DotCom
	p, err := New("github", cfg, providers.Deps{HTTPClient: client, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	// Enough organisations for a second page, whose Link GitHub builds.
	for i := 0; i < 120; i++ {
		gh.AddOrg("org-"+strings.Repeat("x", i%5)+string(rune('a'+i%26))+string(rune('a'+i/26)), "alice")
	}
	tok := gh.Classic("alice", "write:packages", "read:org", "repo")
	cred := basic("alice", tok)
	id, err := p.Authenticate(context.Background(), cred)
	if err != nil {
		t.Fatal(err)
	}
	if len(id.Groups) != 122 {
		t.Errorf("%d groups, want 122 (121 organisations and a team)", len(id.Groups))
	}
	gh.RenameRepo("Acme/app", "Acme/moved")
	for _, repo := range []string{"acme/moved", "acme/app"} {
		if _, err := p.RepositoryPermission(context.Background(), cred, id, repo); err != nil {
			t.Fatal(err)
		}
	}
	for _, hp := range dialed {
		if hp != "api.github.com:443" {
			t.Errorf("dialed %q", hp)
		}
	}
	reqs := gh.Requests()
	if len(reqs) != 6 { // /user, 2 pages of orgs, teams, 2 repositories
		t.Errorf("%d requests, want 6", len(reqs))
	}
	for _, r := range reqs {
		if r.Host != "api.github.com" || r.TokenHash == "" {
			t.Errorf("request %s to host %q", r.Path, r.Host)
		}
	}
}

func TestAForgeTokenIsNeverSentToTheHostOfAPaginationLinkOrARedirect(t *testing.T) {
	var elsewhere sync.Map
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Store(r.URL.Path, r.Header.Get("Authorization"))
	}))
	defer other.Close()
	forge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v3/user":
			w.Header().Set("X-OAuth-Scopes", "write:packages, read:org")
			w.Write([]byte(`{"id":1,"login":"alice"}`))
		case "/api/v3/user/orgs":
			w.Header().Set("Link", "<"+other.URL+`/api/v3/user/orgs?page=2>; rel="next"`)
			w.Write([]byte(`[]`))
		default:
			http.Redirect(w, r, other.URL+"/api/v3/repos/acme/app", http.StatusMovedPermanently)
		}
	}))
	defer forge.Close()
	cfg := Config{}
	cfg.BaseURL = forge.URL
	p, err := New("github", cfg, depsNow())
	if err != nil {
		t.Fatal(err)
	}
	cred := basic("alice", "ghp_0123456789abcdefghijklmnopqrstuvwxyz")
	_, err = p.Authenticate(context.Background(), cred)
	wantUnavailable(t, err, 0)
	if got, err := p.RepositoryPermission(context.Background(), cred, providers.Identity{}, "acme/app"); err != nil || got != providers.PermissionNone {
		t.Errorf("redirected permission: %v, %v; want none", got, err)
	}
	elsewhere.Range(func(k, v any) bool {
		t.Errorf("the other host got %v with Authorization %q", k, v)
		return true
	})
}

func TestTheBasicUsernameNeverChoosesTheIdentity(t *testing.T) {
	f := newFixture(t, nil, ghtest.Options{})
	tok := f.gh.Classic("alice", "write:packages", "read:org")
	for _, u := range []string{"alice", "bob", "root", "admin", "", "101"} {
		id, err := f.p.Authenticate(context.Background(), basic(u, tok))
		if err != nil {
			t.Fatalf("Basic username %q: %v", u, err)
		}
		if id.Subject != "101" || id.Username != "alice" {
			t.Errorf("Basic username %q gave %q / %q, want 101 / alice", u, id.Subject, id.Username)
		}
	}
	for _, r := range f.gh.Requests() {
		if strings.HasPrefix(r.Header.Get("Authorization"), "Basic") {
			t.Errorf("the token travelled as Basic to %s", r.Path)
		}
	}
}

// hostileForge answers every repository request with body and every
// listing with list.
func hostileForge(t *testing.T, body, list string) *Provider {
	t.Helper()
	forge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/api/v3/user":
			w.Header().Set("X-OAuth-Scopes", "write:packages, read:org")
			w.Write([]byte(`{"id":1,"login":"alice"}`))
		case strings.HasPrefix(r.URL.Path, "/api/v3/user/"):
			w.Write([]byte(list))
		default:
			w.Write([]byte(body))
		}
	}))
	t.Cleanup(forge.Close)
	cfg := Config{}
	cfg.BaseURL = forge.URL
	p, err := New("github", cfg, depsNow())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLookalikeRepositoryNamesNeverMatchAnothersPermissions(t *testing.T) {
	cred := basic("alice", "ghp_0123456789abcdefghijklmnopqrstuvwxyz")
	for _, answered := range []string{"acme/app.", "acme/аpp", "acme/app/x", "acme/ap", "acme-/app", "acme/..", "acme/app ", "acme/\u212aapp", "other/app"} {
		body := `{"full_name":"` + answered + `","permissions":{"admin":true,"push":true,"pull":true}}`
		p := hostileForge(t, body, `[]`)
		got, err := p.RepositoryPermission(context.Background(), cred, providers.Identity{}, "acme/app")
		if err != nil || got != providers.PermissionNone {
			t.Errorf("answered %q for acme/app: %v, %v; want none", answered, got, err)
		}
	}
	p := hostileForge(t, `{"full_name":"ACME/App","permissions":{"push":true,"pull":true}}`, `[]`)
	if got, _ := p.RepositoryPermission(context.Background(), cred, providers.Identity{}, "acme/app"); got != providers.PermissionWrite {
		t.Errorf("GitHub's own case of the same name: %v, want write", got)
	}
	p = hostileForge(t, `{"full_name":"acme/app","permissions":{"pull":false,"PUSH":true,"Admin":true}}`, `[]`)
	if got, _ := p.RepositoryPermission(context.Background(), cred, providers.Identity{}, "acme/app"); got != providers.PermissionNone {
		t.Errorf("keys differing in case: %v, want none", got)
	}
}

func TestLookalikeOrganisationAndTeamNamesAreRefusedNotFolded(t *testing.T) {
	cred := basic("alice", "ghp_0123456789abcdefghijklmnopqrstuvwxyz")
	for _, list := range []string{
		`[{"login":"аcme"}]`, `[{"login":"acme."}]`, `[{"login":"acme/.."}]`, `[{"login":"ACME\u212a"}]`,
		`[{"login":"acme","login":"evil"}]`, `[{"slug":"../admins","organization":{"login":"acme"}}]`,
	} {
		p := hostileForge(t, `{}`, list)
		if _, err := p.Authenticate(context.Background(), cred); err == nil {
			t.Errorf("listing %s gave an identity", list)
		}
	}
}

func TestARenamedUserKeepsNoAccessToRepositoriesTheForgeNoLongerGrants(t *testing.T) {
	f := newFixture(t, nil, ghtest.Options{})
	f.gh.AddRepo("alice/tool", true)
	tok := f.gh.Classic("alice", "write:packages", "read:org", "repo")
	if got, _ := f.perm(tok, "alice/tool"); got != providers.PermissionAdmin {
		t.Fatalf("before the rename: %v, want admin", got)
	}
	f.gh.RenameUser("alice", "alicia")
	f.gh.AddUser(ghtest.User{ID: 300, Login: "alice"})
	newcomer := f.gh.Classic("alice", "write:packages", "read:org", "repo")
	for _, tok := range []string{tok, newcomer} {
		if got, err := f.perm(tok, "alice/tool"); err != nil || got != providers.PermissionNone {
			t.Errorf("the old path after the rename: %v, %v; want none", got, err)
		}
	}
	id, err := f.auth(tok)
	if err != nil || id.Subject != "101" || id.Username != "alicia" {
		t.Errorf("renamed user: %+v, %v; want subject 101, alicia", id, err)
	}
	id, err = f.auth(newcomer)
	if err != nil || id.Subject != "300" {
		t.Errorf("the newcomer named alice: %+v, %v; want subject 300", id, err)
	}
}

func TestAForgeAnswerLargerThanTheCapIsRefused(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.MaxPages = 2 }, ghtest.Options{})
	tok := f.gh.Classic("alice", "write:packages", "read:org")
	f.gh.SetFault(ghtest.FaultOversized)
	_, err := f.auth(tok)
	wantUnavailable(t, err, 0)
	f.gh.SetFault(ghtest.FaultNone)
	for i := 0; i < 200; i++ {
		f.gh.AddOrg("o"+strings.Repeat("z", i/26)+string(rune('a'+i%26)), "alice")
	}
	_, err = f.auth(tok)
	wantInvalid(t, err)
	if !strings.Contains(err.Error(), "max_pages") {
		t.Errorf("error %q does not name max_pages", err)
	}
	if n := f.gh.Count(ghtest.EndpointOrgs); n != 2 {
		t.Errorf("%d organisation pages read, want 2", n)
	}
}
