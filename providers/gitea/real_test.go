package gitea

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/gitea/giteatest"
	"github.com/regbridge/regbridge/providers/internal/forgeapi"
)

// realWorld is a real Gitea with giteatest's cast and more tokens of bob.
type realWorld struct {
	srv    *giteatest.Server
	ids    map[string]int64
	tokens map[string]string
	team   map[string]int64
}

const registryScopes = giteatest.RegistryScopes

func startRealWorld(t *testing.T) *realWorld {
	t.Helper()
	srv := giteatest.Start(t)
	c := giteatest.Seed(t, srv)
	w := &realWorld{srv: srv, ids: c.IDs, tokens: c.Tokens, team: c.Teams}
	w.tokens["bob-read-package"] = srv.Token(t, "bob", "read-package", giteatest.ReadPackageScopes)
	w.tokens["bob-no-package"] = srv.Token(t, "bob", "no-package", "read:user,read:organization,read:repository")
	w.tokens["bob-package-only"] = srv.Token(t, "bob", "package-only", "write:package")
	w.tokens["bob-no-org"] = srv.Token(t, "bob", "no-org", "read:user,read:repository,write:package")
	w.tokens["bob-public-only"] = srv.Token(t, "bob", "public-only", "public-only,"+registryScopes)
	w.tokens["bob-all"] = srv.Token(t, "bob", "all", "all")
	return w
}

func (w *realWorld) provider(t *testing.T, mod func(*Config)) *Provider {
	t.Helper()
	cfg := Config{}
	cfg.BaseURL = w.srv.URL
	cfg.Timeout = 10 * time.Second
	if mod != nil {
		mod(&cfg)
	}
	p, err := New("gitea", cfg, providers.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func basic(user, secret string) providers.Credential {
	return providers.Credential{Scheme: providers.SchemeBasic, Username: user, Secret: providers.Secret(secret)}
}

func TestAgainstRealGitea(t *testing.T) {
	w := startRealWorld(t)
	ctx := context.Background()
	p := w.provider(t, nil)

	t.Run("a team member's identity is the forge user id with its organisation and team as groups", func(t *testing.T) {
		id, err := p.Authenticate(ctx, basic("bob", w.tokens["bob"]))
		if err != nil {
			t.Fatal(err)
		}
		if want := strconv.FormatInt(w.ids["bob"], 10); id.Subject != want || id.Username != "bob" {
			t.Errorf("subject %q username %q, want %q bob", id.Subject, id.Username, want)
		}
		if want := []string{"acme", "acme/writers"}; !slices.Equal(id.Groups, want) {
			t.Errorf("groups %v, want %v", id.Groups, want)
		}
		if want := []string{"pull", "push", "delete"}; !slices.Equal(id.MaxActions, want) {
			t.Errorf("max actions %v, want %v", id.MaxActions, want)
		}
		if id.Claims[forgeapi.ClaimEmailVerified] != true || id.Claims[forgeapi.ClaimIsAdmin] != false || id.Claims[ClaimCredential] != "token" {
			t.Errorf("claims %v", id.Claims)
		}
		if !slices.Contains(id.Grants, "write:package") || !slices.Contains(id.Grants, "read:organization") {
			t.Errorf("grants %v, want the token's scope list", id.Grants)
		}
	})

	t.Run("the Basic username never chooses the identity", func(t *testing.T) {
		for _, user := range []string{"alice", "root0", "anything"} {
			id, err := p.Authenticate(ctx, basic(user, w.tokens["bob"]))
			if err != nil {
				t.Fatal(err)
			}
			if id.Username != "bob" || id.Subject != strconv.FormatInt(w.ids["bob"], 10) {
				t.Errorf("username %q: identity %s/%s, want bob's", user, id.Subject, id.Username)
			}
		}
	})

	t.Run("token scopes cap the registry actions", func(t *testing.T) {
		for _, tt := range []struct {
			token string
			want  []string
			err   error
		}{
			{"bob", []string{"pull", "push", "delete"}, nil},
			{"bob-read-package", []string{"pull"}, nil},
			{"bob-no-package", nil, providers.ErrInvalidCredential},
			{"bob-package-only", nil, providers.ErrInvalidCredential},
			{"bob-no-org", nil, providers.ErrInvalidCredential},
			{"bob-public-only", nil, providers.ErrInvalidCredential},
			{"bob-all", []string{"pull"}, nil},
		} {
			id, err := p.Authenticate(ctx, basic("bob", w.tokens[tt.token]))
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Errorf("%s: err = %v, want %v", tt.token, err, tt.err)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s: %v", tt.token, err)
				continue
			}
			if !slices.Equal(id.MaxActions, tt.want) {
				t.Errorf("%s: max actions %v, want %v", tt.token, id.MaxActions, tt.want)
			}
		}
	})

	t.Run("assume_package_write lets an all-scope token push and allow_unscoped_tokens lets a package-less token pull", func(t *testing.T) {
		q := w.provider(t, func(c *Config) { c.AssumePackageWrite = true; c.AllowUnscopedTokens = true })
		for tok, want := range map[string][]string{"bob-all": {"pull", "push", "delete"}, "bob-no-package": {"pull"}} {
			id, err := q.Authenticate(ctx, basic("bob", w.tokens[tok]))
			if err != nil || !slices.Equal(id.MaxActions, want) {
				t.Errorf("%s: %v %v, want %v", tok, id.MaxActions, err, want)
			}
		}
	})

	t.Run("repository permissions follow the forge's teams", func(t *testing.T) {
		for _, tt := range []struct {
			user, repo string
			want       providers.Permission
		}{
			{"bob", "acme/app", providers.PermissionWrite},
			{"alice", "acme/app", providers.PermissionRead},
			{"carol", "acme/app", providers.PermissionNone},
			{"carol", "carol/site", providers.PermissionAdmin},
			{"bob", "carol/site", providers.PermissionNone},
			{"bob", "acme/missing", providers.PermissionNone},
			{"bob", "acme/app/sub", providers.PermissionNone},
		} {
			got, err := p.RepositoryPermission(ctx, basic(tt.user, w.tokens[tt.user]), providers.Identity{}, tt.repo)
			if err != nil || got != tt.want {
				t.Errorf("%s on %s: %s %v, want %s", tt.user, tt.repo, got, err, tt.want)
			}
		}
	})

	t.Run("lookalike repository names never match another's permissions", func(t *testing.T) {
		before := w.srv.AllCalls()
		for _, repo := range []string{"ACME/app", "acme/App", "acme/app.", "acme/ap\u0440", "acme/../acme/app", "acme/.app", "acme%2fapp", "acme/app%00", "acme//app"} {
			got, err := p.RepositoryPermission(ctx, basic("bob", w.tokens["bob"]), providers.Identity{}, repo)
			if err != nil || got != providers.PermissionNone {
				t.Errorf("%q: %s %v, want none", repo, got, err)
			}
		}
		if after := w.srv.AllCalls(); after["GET /api/v1/repos/acme/app"] != before["GET /api/v1/repos/acme/app"] {
			t.Error("a lookalike name reached the forge as acme/app")
		}
	})

	t.Run("a renamed repository is no access under its old name", func(t *testing.T) {
		w.srv.CreateOrgRepo(t, "acme", "old-name", true)
		w.srv.API(t, "PATCH", "/repos/acme/old-name", map[string]any{"name": "new-name"}, 200)
		for repo, want := range map[string]providers.Permission{"acme/old-name": providers.PermissionNone, "acme/new-name": providers.PermissionWrite} {
			got, err := p.RepositoryPermission(ctx, basic("bob", w.tokens["bob"]), providers.Identity{}, repo)
			if err != nil || got != want {
				t.Errorf("%s: %s %v, want %s", repo, got, err, want)
			}
		}
	})

	t.Run("a renamed user keeps no access to repositories the forge no longer grants", func(t *testing.T) {
		cred := basic("dave", w.tokens["dave"])
		if got, _ := p.RepositoryPermission(ctx, cred, providers.Identity{}, "acme/app"); got != providers.PermissionWrite {
			t.Fatalf("before: %s, want write", got)
		}
		w.srv.RenameUser(t, "dave", "dave2")
		w.srv.RemoveTeamMember(t, w.team["writers"], "dave2")
		id, err := p.Authenticate(ctx, cred)
		if err != nil {
			t.Fatal(err)
		}
		if id.Username != "dave2" || id.Subject != strconv.FormatInt(w.ids["dave"], 10) || slices.Contains(id.Groups, "acme/writers") {
			t.Errorf("after rename: %s %s %v", id.Subject, id.Username, id.Groups)
		}
		if got, err := p.RepositoryPermission(ctx, cred, id, "acme/app"); err != nil || got != providers.PermissionNone {
			t.Errorf("after rename and removal: %s %v, want none", got, err)
		}
	})

	t.Run("a revoked token is refused", func(t *testing.T) {
		tok := w.srv.Token(t, "alice", "to-revoke", registryScopes)
		if _, err := p.Authenticate(ctx, basic("alice", tok)); err != nil {
			t.Fatal(err)
		}
		w.srv.RevokeToken(t, "alice", "to-revoke")
		if _, err := p.Authenticate(ctx, basic("alice", tok)); !errors.Is(err, providers.ErrInvalidCredential) {
			t.Errorf("err = %v, want ErrInvalidCredential", err)
		}
		if _, err := p.RepositoryPermission(ctx, basic("alice", tok), providers.Identity{}, "acme/app"); !errors.Is(err, providers.ErrInvalidCredential) {
			t.Errorf("permission err = %v, want ErrInvalidCredential", err)
		}
	})

	t.Run("a suspended or deactivated user is refused, also on permission checks", func(t *testing.T) {
		cred := basic("carol", w.tokens["carol"])
		w.srv.SetProhibitLogin(t, "carol", true)
		if _, err := p.Authenticate(ctx, cred); !errors.Is(err, providers.ErrInvalidCredential) {
			t.Errorf("prohibit_login: err = %v, want ErrInvalidCredential", err)
		}
		if _, err := p.RepositoryPermission(ctx, cred, providers.Identity{}, "carol/site"); !errors.Is(err, providers.ErrInvalidCredential) {
			t.Errorf("prohibit_login permission: err = %v, want ErrInvalidCredential", err)
		}
		w.srv.SetProhibitLogin(t, "carol", false)
		w.srv.SetActive(t, "carol", false)
		if _, err := p.Authenticate(ctx, cred); !errors.Is(err, providers.ErrInvalidCredential) {
			t.Errorf("inactive: err = %v, want ErrInvalidCredential", err)
		}
		w.srv.SetActive(t, "carol", true)
		if _, err := p.Authenticate(ctx, cred); err != nil {
			t.Errorf("restored: %v", err)
		}
	})

	t.Run("an account password is refused unless allow_passwords is set, and then only for the named user", func(t *testing.T) {
		if _, err := p.Authenticate(ctx, basic("alice", giteatest.Password("alice"))); !errors.Is(err, providers.ErrInvalidCredential) {
			t.Errorf("default: err = %v, want ErrInvalidCredential", err)
		}
		q := w.provider(t, func(c *Config) { c.AllowPasswords = true })
		id, err := q.Authenticate(ctx, basic("alice", giteatest.Password("alice")))
		if err != nil || id.Username != "alice" || id.Claims[ClaimCredential] != "password" {
			t.Fatalf("allow_passwords: %v %v", id, err)
		}
		if got, err := q.RepositoryPermission(ctx, basic("alice", giteatest.Password("alice")), id, "acme/app"); err != nil || got != providers.PermissionRead {
			t.Errorf("password permission: %s %v, want read", got, err)
		}
		if _, err := q.Authenticate(ctx, basic("alice", giteatest.Password("bob"))); !errors.Is(err, providers.ErrInvalidCredential) {
			t.Errorf("another user's password: err = %v, want ErrInvalidCredential", err)
		}
	})

	t.Run("the forge stopped is unavailable and the same token works once it is back", func(t *testing.T) {
		cred := basic("bob", w.tokens["bob"])
		w.srv.Stop(t)
		if _, err := p.Authenticate(ctx, cred); !errors.Is(err, providers.ErrUnavailable) || errors.Is(err, providers.ErrInvalidCredential) {
			t.Errorf("stopped: err = %v, want ErrUnavailable only", err)
		}
		if _, err := p.RepositoryPermission(ctx, cred, providers.Identity{}, "acme/app"); !errors.Is(err, providers.ErrUnavailable) {
			t.Errorf("stopped permission: err = %v, want ErrUnavailable", err)
		}
		w.srv.Start(t)
		if _, err := p.Authenticate(ctx, cred); err != nil {
			t.Errorf("restarted: %v", err)
		}
	})
}
