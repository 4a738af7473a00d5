package github

import (
	"testing"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/github/ghtest"
)

func TestRepositoryRolesMapToPermissionLevels(t *testing.T) {
	f := newFixture(t, nil, ghtest.Options{})
	f.gh.AddRepo("Acme/public", false)
	tests := []struct {
		role ghtest.Role
		repo string
		want providers.Permission
	}{
		{ghtest.RoleRead, "acme/app", providers.PermissionRead},
		{ghtest.RoleTriage, "acme/app", providers.PermissionRead},
		{ghtest.RoleWrite, "acme/app", providers.PermissionWrite},
		{ghtest.RoleMaintain, "acme/app", providers.PermissionWrite},
		{ghtest.RoleAdmin, "acme/app", providers.PermissionAdmin},
		{ghtest.RoleNone, "acme/app", providers.PermissionNone},
		{ghtest.RoleNone, "acme/public", providers.PermissionRead},
	}
	tok := f.gh.Classic("carol", "read:packages", "repo")
	for _, tt := range tests {
		t.Run(string(tt.role)+" on "+tt.repo, func(t *testing.T) {
			f.gh.Grant("Acme/app", "carol", tt.role)
			got, err := f.perm(tok, tt.repo)
			if err != nil || got != tt.want {
				t.Errorf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestRepositoriesTheTokenCannotSeeAreNone(t *testing.T) {
	f := newFixture(t, nil, ghtest.Options{})
	f.gh.AddOrg("sso")
	f.gh.AddTeam("sso", "devs", "alice")
	f.gh.AddRepo("sso/app", true)
	f.gh.GrantTeam("sso/app", "sso/devs", ghtest.RoleAdmin)
	f.gh.EnforceSAML("sso")
	tests := []struct {
		name, tok, repo string
	}{
		{"a stranger's view of a private repository", f.gh.Classic("carol", "repo"), "acme/app"},
		{"a writer's classic token without the repo scope", f.gh.Classic("alice", "write:packages"), "acme/app"},
		{"a missing repository", f.gh.Classic("alice", "repo"), "acme/nope"},
		{"a SAML organisation the token is not authorized for", f.gh.Classic("alice", "repo"), "sso/app"},
		{"a fine-grained token for another owner", f.gh.IssueToken(ghtest.Token{Kind: ghtest.FineGrained, Login: "alice", ResourceOwner: "alice"}), "acme/app"},
		{"a fine-grained token not selecting the repository", f.gh.IssueToken(ghtest.Token{Kind: ghtest.FineGrained, Login: "alice", ResourceOwner: "Acme", Repositories: []string{"Acme/other"}}), "acme/app"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.perm(tt.tok, tt.repo)
			if err != nil || got != providers.PermissionNone {
				t.Errorf("got %v, %v; want none", got, err)
			}
		})
	}
	authorized := f.gh.IssueToken(ghtest.Token{Login: "alice", Scopes: []string{"repo"}, SSOAuthorized: []string{"sso"}})
	if got, err := f.perm(authorized, "sso/app"); err != nil || got != providers.PermissionAdmin {
		t.Errorf("SSO-authorized token: %v, %v; want admin", got, err)
	}
}

func TestARenamedRepositoryIsNoneAndTheRedirectIsNotFollowed(t *testing.T) {
	f := newFixture(t, nil, ghtest.Options{})
	f.gh.RenameRepo("Acme/app", "Acme/renamed")
	tok := f.gh.Classic("alice", "repo")
	got, err := f.perm(tok, "acme/app")
	if err != nil || got != providers.PermissionNone {
		t.Fatalf("got %v, %v; want none", got, err)
	}
	if n := f.gh.Count(ghtest.EndpointRepository); n != 0 {
		t.Errorf("the redirect to /repositories/{id} was followed %d times", n)
	}
	if got, _ := f.perm(tok, "acme/renamed"); got != providers.PermissionWrite {
		t.Errorf("the new path: %v, want write", got)
	}
}

func TestInvalidRepositoryPathsAreNoneWithoutACall(t *testing.T) {
	f := newFixture(t, nil, ghtest.Options{})
	tok := f.gh.Classic("alice", "repo")
	for _, repo := range []string{"acme", "acme/app/extra", "acme/..", "../acme/app", "acme/app.", "acme/.app", "ACME/app", "acme/%2e%2e", "acme/a%2fb", "acme//app", "acme/аpp", "acme/app?x=1", ""} {
		got, err := f.perm(tok, repo)
		if err != nil || got != providers.PermissionNone {
			t.Errorf("%q: %v, %v; want none", repo, got, err)
		}
	}
	if n := f.gh.Count(""); n != 0 {
		t.Errorf("GitHub saw %d requests, want 0", n)
	}
}

func TestAPermissionCallWithARevokedTokenIsAnInvalidCredential(t *testing.T) {
	f := newFixture(t, nil, ghtest.Options{})
	tok := f.gh.Classic("alice", "repo")
	f.gh.RevokeToken(tok)
	_, err := f.perm(tok, "acme/app")
	wantInvalid(t, err)
}
