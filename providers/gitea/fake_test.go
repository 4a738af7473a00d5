package gitea

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
)

// fakeGitea answers like Gitea 1.27.3 for a token with the registry scopes
// unless a route is overridden. It counts requests.
type fakeGitea struct {
	*httptest.Server
	routes map[string]http.HandlerFunc
	calls  atomic.Int32
}

const fakeToken = "0123456789abcdef0123456789abcdef01234567"

func newFake(t *testing.T, override map[string]http.HandlerFunc) *fakeGitea {
	t.Helper()
	f := &fakeGitea{routes: map[string]http.HandlerFunc{
		"/api/v1/user":           jsonAnswer(200, `{"id":7,"login":"bob","email":"bob@example.test","is_admin":false,"active":true,"prohibit_login":false,"restricted":false,"visibility":"public"}`),
		"/api/v1/admin/users":    jsonAnswer(403, `{"message":"token does not have at least one of required scope(s), required=[read:admin], token scope=read:organization,write:package,read:repository,read:user","url":"x"}`),
		"/api/v1/user/emails":    jsonAnswer(200, `[{"email":"bob@example.test","verified":true,"primary":true}]`),
		"/api/v1/user/orgs":      jsonAnswer(200, `[{"id":5,"name":"acme"}]`),
		"/api/v1/user/teams":     jsonAnswer(200, `[{"id":3,"name":"Writers","organization":{"id":5,"name":"acme"}}]`),
		"/api/v1/repos/acme/app": jsonAnswer(200, `{"id":1,"full_name":"acme/app","permissions":{"admin":false,"push":true,"pull":true}}`),
	}}
	for k, v := range override {
		f.routes[k] = v
	}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.calls.Add(1)
		if r.Header.Get("Authorization") != "token "+fakeToken {
			jsonAnswer(401, `{"message":"invalid username, password or token"}`)(w, r)
			return
		}
		h, ok := f.routes[r.URL.Path]
		if !ok {
			jsonAnswer(404, `{"message":"not found"}`)(w, r)
			return
		}
		h(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func jsonAnswer(status int, body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write([]byte(body))
	}
}

func (f *fakeGitea) provider(t *testing.T, mod func(*Config)) *Provider {
	t.Helper()
	cfg := Config{}
	cfg.BaseURL = f.URL
	cfg.Timeout = 2 * time.Second
	if mod != nil {
		mod(&cfg)
	}
	p, err := New("gitea", cfg, providers.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTheFakeAnswersGiveTheExpectedIdentity(t *testing.T) {
	f := newFake(t, nil)
	id, err := f.provider(t, nil).Authenticate(context.Background(), basic("x", fakeToken))
	if err != nil {
		t.Fatal(err)
	}
	if id.Subject != "7" || !slices.Equal(id.Groups, []string{"acme", "acme/writers"}) || !slices.Equal(id.MaxActions, []string{"pull", "push", "delete"}) {
		t.Fatalf("identity %+v", id)
	}
}

func TestAForgeTokenIsNeverSentToAnotherHostThanItsBaseURL(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	defer other.Close()
	f := newFake(t, map[string]http.HandlerFunc{
		"/api/v1/user/teams": jsonAnswer(200, `[]`, "Link", "<"+other.URL+`/api/v1/user/teams?page=2>; rel="next"`),
		"/api/v1/user/orgs":  jsonAnswer(200, `[]`, "Link", `</login?page=2>; rel="next"`),
	})
	_, err := f.provider(t, nil).Authenticate(context.Background(), basic("x", fakeToken))
	if !errors.Is(err, providers.ErrUnavailable) {
		t.Errorf("err = %v, want ErrUnavailable", err)
	}
	f2 := newFake(t, map[string]http.HandlerFunc{
		"/api/v1/user": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+"/api/v1/user", http.StatusFound)
		},
	})
	if _, err := f2.provider(t, nil).Authenticate(context.Background(), basic("x", fakeToken)); !errors.Is(err, providers.ErrUnavailable) {
		t.Errorf("redirect: err = %v, want ErrUnavailable", err)
	}
	if n := elsewhere.Load(); n != 0 {
		t.Fatalf("another host got %d requests", n)
	}
}

func TestForgeOutagesAreUnavailableWithTheForgesRetryHintNeverAnInvalidCredential(t *testing.T) {
	slow := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(3 * time.Second):
		}
	}
	for _, tt := range []struct {
		name  string
		h     http.HandlerFunc
		retry time.Duration
	}{
		{"500", jsonAnswer(500, `{"message":""}`), 0},
		{"502 from a proxy, HTML", jsonAnswer(502, `<html>bad gateway</html>`), 0},
		{"503 with Retry-After", jsonAnswer(503, ``, "Retry-After", "30"), 30 * time.Second},
		{"429 with Retry-After", jsonAnswer(429, `Too Many Requests`, "Retry-After", "12"), 12 * time.Second},
		{"403 with X-RateLimit-Remaining 0", jsonAnswer(403, `{"message":"rate limited"}`, "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "20"), 20 * time.Second},
		{"a body over the cap", jsonAnswer(200, `{"login":"`+strings.Repeat("a", 2<<20)+`"}`), 0},
		{"HTML with 200", jsonAnswer(200, `<html>login</html>`), 0},
		{"truncated JSON", jsonAnswer(200, `{"id":7,"login":"bo`), 0},
		{"a slow answer", slow, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, path := range []string{"/api/v1/user", "/api/v1/admin/users", "/api/v1/user/teams", "/api/v1/repos/acme/app"} {
				f := newFake(t, map[string]http.HandlerFunc{path: tt.h})
				p := f.provider(t, func(c *Config) { c.Timeout = 300 * time.Millisecond })
				var err error
				if strings.HasPrefix(path, "/api/v1/repos/") {
					_, err = p.RepositoryPermission(context.Background(), basic("x", fakeToken), providers.Identity{}, "acme/app")
				} else {
					_, err = p.Authenticate(context.Background(), basic("x", fakeToken))
				}
				var ue *providers.UnavailableError
				if !errors.As(err, &ue) || errors.Is(err, providers.ErrInvalidCredential) {
					t.Errorf("%s: err = %v, want only ErrUnavailable", path, err)
					continue
				}
				if tt.retry != 0 && ue.RetryAfter != tt.retry {
					t.Errorf("%s: retry after %s, want %s", path, ue.RetryAfter, tt.retry)
				}
			}
		})
	}
}

func TestAForgeAnswerLargerThanTheCapIsRefused(t *testing.T) {
	page := 0
	f := newFake(t, map[string]http.HandlerFunc{
		"/api/v1/user/teams": func(w http.ResponseWriter, r *http.Request) {
			page++
			jsonAnswer(200, `[{"name":"t`+strings.Repeat("x", page)+`","organization":{"name":"acme"}}]`,
				"Link", "<http://"+r.Host+`/api/v1/user/teams?page=99>; rel="next"`)(w, r)
		},
	})
	_, err := f.provider(t, func(c *Config) { c.MaxPages = 3 }).Authenticate(context.Background(), basic("x", fakeToken))
	if !errors.Is(err, providers.ErrInvalidCredential) || !errors.Is(err, errTooManyPages) {
		t.Errorf("err = %v, want a refusal for too many pages", err)
	}
	if page != 3 {
		t.Errorf("the forge was asked for %d pages, want 3", page)
	}
}

func TestLookalikeNamesInForgeAnswersNeverMatch(t *testing.T) {
	for _, tt := range []struct {
		name, route, body string
		perm              bool
	}{
		{"a permission answer for another repository", "/api/v1/repos/acme/app", `{"full_name":"acme/app2","permissions":{"admin":true,"push":true,"pull":true}}`, true},
		{"a permission answer with a Cyrillic letter", "/api/v1/repos/acme/app", `{"full_name":"acme/аpp","permissions":{"admin":true,"push":true,"pull":true}}`, true},
		{"a permission answer with a trailing dot", "/api/v1/repos/acme/app", `{"full_name":"acme/app.","permissions":{"admin":true,"push":true,"pull":true}}`, true},
		{"an organisation with a Kelvin sign", "/api/v1/user/orgs", `[{"name":"\u212acme"}]`, false},
		{"a team with a space", "/api/v1/user/teams", `[{"name":"writers ","organization":{"name":"acme"}}]`, false},
		{"a team with no organisation", "/api/v1/user/teams", `[{"name":"writers"}]`, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, map[string]http.HandlerFunc{tt.route: jsonAnswer(200, tt.body)})
			p := f.provider(t, nil)
			if tt.perm {
				got, err := p.RepositoryPermission(context.Background(), basic("x", fakeToken), providers.Identity{}, "acme/app")
				if err != nil || got != providers.PermissionNone {
					t.Errorf("%s %v, want none", got, err)
				}
				return
			}
			if _, err := p.Authenticate(context.Background(), basic("x", fakeToken)); err == nil {
				t.Error("identity returned, want a refusal")
			}
		})
	}
}

func TestScopeAnswersDecideTheCap(t *testing.T) {
	scope403 := func(list string) http.HandlerFunc {
		return jsonAnswer(403, `{"message":"token does not have at least one of required scope(s), required=[read:admin], token scope=`+list+`"}`)
	}
	forgejo403 := jsonAnswer(403, `{"message":"token does not have at least one of required scope(s): [read:admin]"}`)
	for _, tt := range []struct {
		name            string
		admin, package_ http.HandlerFunc
		assumeWrite     bool
		want            []string
		err             error
	}{
		{"write:package", scope403("read:organization,write:package,read:user"), nil, false, []string{"pull", "push", "delete"}, nil},
		{"read:package", scope403("read:organization,read:package,read:user"), nil, false, []string{"pull"}, nil},
		{"no package scope", scope403("read:organization,read:user"), nil, false, nil, providers.ErrInvalidCredential},
		{"public-only", scope403("public-only,read:organization,write:package,read:user"), nil, false, nil, providers.ErrInvalidCredential},
		{"no organization scope", scope403("write:package,read:user"), nil, false, nil, providers.ErrInvalidCredential},
		{"an unknown scope name makes the list unknown", scope403("read:organization,write:package,read:user,write:everything"), forgejo403, false, nil, providers.ErrInvalidCredential},
		{"Forgejo: no list, package read shown", forgejo403, jsonAnswer(200, `[]`), false, []string{"pull"}, nil},
		{"Forgejo: no list, package read shown, assume_package_write", forgejo403, jsonAnswer(200, `[]`), true, []string{"pull", "push", "delete"}, nil},
		{"Forgejo: no list, package scope missing", forgejo403, forgejo403, false, nil, providers.ErrInvalidCredential},
		{"an admin token passes the probe", jsonAnswer(200, `[]`), jsonAnswer(200, `[]`), false, []string{"pull"}, nil},
		{"a non-admin all token passes the scope check", jsonAnswer(403, `{"message":"user should be the site admin"}`), jsonAnswer(200, `[]`), false, []string{"pull"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			routes := map[string]http.HandlerFunc{"/api/v1/admin/users": tt.admin}
			if tt.package_ != nil {
				routes["/api/v1/packages/bob"] = tt.package_
			}
			f := newFake(t, routes)
			id, err := f.provider(t, func(c *Config) { c.AssumePackageWrite = tt.assumeWrite }).Authenticate(context.Background(), basic("x", fakeToken))
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Errorf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil || !slices.Equal(id.MaxActions, tt.want) {
				t.Errorf("max actions %v %v, want %v", id.MaxActions, err, tt.want)
			}
		})
	}
}

func TestSecretsThatCannotBeTokensAreRefusedWithoutACall(t *testing.T) {
	f := newFake(t, nil)
	p := f.provider(t, nil)
	for _, cred := range []providers.Credential{
		{Scheme: providers.SchemeBearer, Secret: fakeToken},
		basic("x", ""),
		basic("x", strings.Repeat("a", maxSecretLength+1)),
		basic("x", "two words"),
		basic("x", "tok\n"),
		basic("x", "tök"),
	} {
		if _, err := p.Authenticate(context.Background(), cred); !errors.Is(err, providers.ErrInvalidCredential) {
			t.Errorf("%q: err = %v, want ErrInvalidCredential", cred.Secret.Reveal(), err)
		}
	}
	if n := f.calls.Load(); n != 0 {
		t.Errorf("the forge got %d calls", n)
	}
}

func TestAnInvalidRepositoryPathMakesNoCall(t *testing.T) {
	f := newFake(t, nil)
	p := f.provider(t, nil)
	for _, repo := range []string{"", "acme", "acme/app/x", "Acme/app", "acme/..", "acme/a b"} {
		if got, err := p.RepositoryPermission(context.Background(), basic("x", fakeToken), providers.Identity{}, repo); err != nil || got != providers.PermissionNone {
			t.Errorf("%q: %s %v", repo, got, err)
		}
	}
	if n := f.calls.Load(); n != 0 {
		t.Errorf("the forge got %d calls", n)
	}
}
