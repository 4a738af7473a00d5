package gitlab

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/gitlab/gltest"
)

// proxied is a provider whose base_url is a front that forwards to the fake
// GitLab except where override answers itself.
func proxied(t *testing.T, f *fixture, override func(w http.ResponseWriter, r *http.Request) bool) *Provider {
	t.Helper()
	target, _ := url.Parse(f.gl.URL)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if override(w, r) {
			return
		}
		r.Host = target.Host
		u := *r.URL
		u.Scheme, u.Host = target.Scheme, target.Host
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, u.String(), nil)
		req.Header = r.Header.Clone()
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			w.WriteHeader(502)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	}))
	t.Cleanup(front.Close)
	cfg := Config{}
	cfg.BaseURL = front.URL
	cfg.MaxPages = 3
	p, err := New("gitlab", cfg, providers.Deps{Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAGitLabTokenIsNeverSentToAnyHostButItsBaseURL(t *testing.T) {
	var leaked atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Add(1)
		w.Write([]byte(`[]`))
	}))
	t.Cleanup(elsewhere.Close)
	f := newFixture(t, nil, gltest.Options{})
	p := proxied(t, f, func(w http.ResponseWriter, r *http.Request) bool {
		switch {
		case r.URL.Path == "/api/v4/groups":
			w.Header().Set("Link", "<"+elsewhere.URL+"/api/v4/groups?page=2>; rel=\"next\"")
			w.Write([]byte(`[{"id":1,"full_path":"acme"}]`))
		case r.URL.Path == "/api/v4/projects/acme/app" || r.URL.EscapedPath() == "/api/v4/projects/acme%2Fapp":
			http.Redirect(w, r, elsewhere.URL+"/api/v4/projects/1", http.StatusMovedPermanently)
		case r.URL.EscapedPath() == "/api/v4/projects/acme%2Fnext":
			http.Redirect(w, r, "/api/v4/projects/2", http.StatusTemporaryRedirect)
		default:
			return false
		}
		return true
	})
	tok := f.gl.AddPAT(jdoe, "api")
	_, err := p.Authenticate(context.Background(), basic("gitlab", tok))
	wantUnavailable(t, err) // the next page leaves the base URL
	id := providers.Identity{Subject: "7"}
	for _, repo := range []string{"acme/app", "acme/next"} {
		if got, err := p.RepositoryPermission(context.Background(), basic("gitlab", tok), id, repo); err != nil || got != providers.PermissionNone {
			t.Errorf("%s redirected: %v, %v; want none", repo, got, err)
		}
	}
	if n := leaked.Load(); n != 0 {
		t.Fatalf("another host received %d requests", n)
	}
	if _, err := New("gitlab", Config{Common: commonWith("http://gitlab.example.com")}, providers.Deps{}); err == nil {
		t.Error("a plain-http base_url off loopback was accepted")
	}
}

func TestTheBasicUsernameNeverChoosesTheGitLabIdentity(t *testing.T) {
	f := newFixture(t, nil, gltest.Options{})
	tok := f.gl.AddPAT(rita, "api")
	for _, user := range []string{"jdoe", "root", "7", "", "gitlab", "rita"} {
		id, err := f.p.Authenticate(context.Background(), basic(user, tok))
		if err != nil || id.Subject != "8" || id.Username != "rita" {
			t.Errorf("username %q: %q/%q, %v; want 8/rita", user, id.Subject, id.Username, err)
		}
	}
}

func TestLookalikeGitLabNamesNeverMatchAnothersPermissions(t *testing.T) {
	f := newFixture(t, nil, gltest.Options{})
	// jdoe may write acme/app; none of these is acme/app.
	tok := f.gl.AddPAT(jdoe, "api")
	id := f.login(t, tok)
	for _, repo := range []string{"Acme/app", "acme/App", "acme/app.", "acme./app", "acme/app/..", "acme/../acme/app", "acme/аpp", "acme/app\u200b", "acme/app%2e", "acme%2Fapp"} {
		if got, err := f.perm(tok, id, repo); err != nil || got != providers.PermissionNone {
			t.Errorf("%q: %v, %v; want none", repo, got, err)
		}
	}
	// A forge that answers about another project than the one asked (an
	// older GitLab following a redirect, or a proxy) grants nothing.
	p := proxied(t, f, func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.EscapedPath() != "/api/v4/projects/acme%2Fapp" {
			return false
		}
		w.Write([]byte(`{"id":1,"path_with_namespace":"acme/app-other","permissions":{"project_access":{"access_level":50},"group_access":null}}`))
		return true
	})
	if got, err := p.RepositoryPermission(context.Background(), basic("gitlab", tok), id, "acme/app"); err != nil || got != providers.PermissionNone {
		t.Errorf("answer about another project: %v, %v; want none", got, err)
	}
	// Case-only differences in GitLab's answer are the same project
	// (GitLab resolves paths case-insensitively).
	f.gl.AddProject(gltest.Project{Path: "Acme/Mixed"})
	if got, err := f.perm(tok, id, "acme/mixed"); err != nil || got != providers.PermissionWrite {
		t.Errorf("acme/mixed answered as Acme/Mixed: %v, %v; want write", got, err)
	}
}

func TestARenamedGitLabUserKeepsNoAccessTheForgeNoLongerGrants(t *testing.T) {
	f := newFixture(t, nil, gltest.Options{})
	f.gl.AddUser(gltest.User{ID: 20, Username: "alice"})
	f.gl.AddProject(gltest.Project{Path: "alice/app"})
	f.gl.AddProjectMember("alice/app", 20, gltest.Owner)
	tok := f.gl.AddPAT(20, "api")
	id := f.login(t, tok)
	if got, _ := f.perm(tok, id, "alice/app"); got != providers.PermissionAdmin {
		t.Fatalf("before the rename: %v, want admin", got)
	}
	// alice becomes alicia (her project moves with her); a new user takes
	// the name alice and creates alice/app.
	f.gl.RenameUser(20, "alicia")
	f.gl.AddUser(gltest.User{ID: 21, Username: "alice"})
	f.gl.AddProject(gltest.Project{Path: "alice/app"})
	f.gl.AddProjectMember("alice/app", 21, gltest.Owner)
	if got, err := f.perm(tok, id, "alice/app"); err != nil || got != providers.PermissionNone {
		t.Errorf("the new alice/app: %v, %v; want none", got, err)
	}
	id2 := f.login(t, tok)
	if id2.Subject != "20" || id2.Username != "alicia" {
		t.Errorf("after the rename: %q/%q, want 20/alicia", id2.Subject, id2.Username)
	}
	if got, _ := f.perm(tok, id2, "alicia/app"); got != providers.PermissionAdmin {
		t.Errorf("alicia/app: %v, want admin", got)
	}
	// Leaving a group takes its projects away at the next answer.
	jt := f.gl.AddPAT(jdoe, "api")
	jid := f.login(t, jt)
	f.gl.RemoveGroupMember("acme", jdoe)
	if got, err := f.perm(jt, jid, "acme/app"); err != nil || got != providers.PermissionNone {
		t.Errorf("after leaving acme: %v, %v; want none", got, err)
	}
}

func TestAGitLabAnswerLargerThanTheCapIsRefused(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.MaxPages = 2 }, gltest.Options{})
	for i := 0; i < 201; i++ {
		f.gl.AddGroupMember("many/g"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+string(rune('a'+i/26)), jdoe, gltest.Guest)
	}
	_, err := f.auth(f.gl.AddPAT(jdoe, "api"))
	wantInvalid(t, err)
	if n := f.gl.CountEndpoint(gltest.EndpointGroups); n != 2 {
		t.Errorf("%d group pages read, want 2 (max_pages)", n)
	}

	g := newFixture(t, nil, gltest.Options{})
	p := proxied(t, g, func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path != "/api/v4/user" {
			return false
		}
		w.Write([]byte(`{"id":7,"username":"jdoe","state":"active","bio":"` + strings.Repeat("x", 1<<20) + `"}`))
		return true
	})
	id, err := p.Authenticate(context.Background(), basic("gitlab", g.gl.AddPAT(jdoe, "api")))
	if err == nil || id.Subject != "" {
		t.Fatalf("an over-cap /user answer gave %+v, %v", id, err)
	}
	wantUnavailable(t, err)
}

func commonWith(base string) (c forgeapiCommon) {
	c.BaseURL = base
	c.Timeout = time.Second
	return c
}
