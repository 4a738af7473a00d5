package github

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/github/ghtest"
	"github.com/regbridge/regbridge/providers/internal/forgeapi"
)

func TestATeamWritersTokenIsItsUserWithOrgAndTeamGroupsInThreeCalls(t *testing.T) {
	f := newFixture(t, nil, ghtest.Options{})
	tok := f.gh.Classic("alice", "write:packages", "read:org", "repo")
	id, err := f.auth(tok)
	if err != nil {
		t.Fatal(err)
	}
	want := providers.Identity{
		Subject:    "101",
		Username:   "alice",
		Groups:     []string{"acme", "acme/writers"},
		Grants:     []string{"write:packages", "read:org", "repo"},
		MaxActions: []string{"pull", "push"},
		Claims: map[string]any{
			forgeapi.ClaimLogin: "alice", forgeapi.ClaimID: "101", forgeapi.ClaimIsAdmin: false, ClaimSiteAdmin: false, ClaimType: "User", ClaimTokenType: TokenClassic,
		},
	}
	if !reflect.DeepEqual(id, want) {
		t.Errorf("identity = %+v\nwant       %+v", id, want)
	}
	for ep, n := range map[string]int{ghtest.EndpointUser: 1, ghtest.EndpointOrgs: 1, ghtest.EndpointTeams: 1, "": 3} {
		if got := f.gh.Count(ep); got != n {
			t.Errorf("%q: %d calls, want %d", ep, got, n)
		}
	}
	for _, r := range f.gh.Requests() {
		if r.Header.Get("Authorization") != "Bearer "+tok || r.Header.Get("X-Github-Api-Version") != APIVersion || r.Header.Get("User-Agent") == "" {
			t.Errorf("%s: headers %v", r.Path, r.Header)
		}
	}
}

func TestScopesCapTheActionsAndUnscopedTokensFailClosed(t *testing.T) {
	tests := []struct {
		name      string
		token     ghtest.Token
		unscoped  bool
		want      []string // nil: refused
		tokenType string
	}{
		{"read:packages is pull", ghtest.Token{Scopes: []string{"read:packages", "read:org"}}, false, []string{"pull"}, TokenClassic},
		{"write:packages is pull and push", ghtest.Token{Scopes: []string{"write:packages", "read:org"}}, false, []string{"pull", "push"}, TokenClassic},
		{"delete:packages adds delete", ghtest.Token{Scopes: []string{"write:packages", "delete:packages", "read:org"}}, false, []string{"pull", "push", "delete"}, TokenClassic},
		{"delete:packages alone is delete only", ghtest.Token{Scopes: []string{"delete:packages", "read:org"}}, false, []string{"delete"}, TokenClassic},
		{"an OAuth app token reads its scopes the same way", ghtest.Token{Kind: ghtest.OAuth, Scopes: []string{"write:packages", "user"}}, false, []string{"pull", "push"}, TokenOAuth},
		{"repo without a package scope is refused", ghtest.Token{Scopes: []string{"repo", "read:org"}}, false, nil, ""},
		{"a token with no scopes is refused", ghtest.Token{}, false, nil, ""},
		{"repo without a package scope is pull with allow_unscoped_tokens", ghtest.Token{Scopes: []string{"repo", "read:org"}}, true, []string{"pull"}, TokenClassic},
		{"a fine-grained token is refused", ghtest.Token{Kind: ghtest.FineGrained, ResourceOwner: "Acme"}, false, nil, ""},
		{"a fine-grained token is pull with allow_unscoped_tokens", ghtest.Token{Kind: ghtest.FineGrained, ResourceOwner: "Acme"}, true, []string{"pull"}, TokenFineGrained},
		{"a GitHub App user token is refused", ghtest.Token{Kind: ghtest.AppUser}, false, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(c *Config) { c.AllowUnscopedTokens = tt.unscoped }, ghtest.Options{})
			tt.token.Login = "alice"
			id, err := f.auth(f.gh.IssueToken(tt.token))
			if tt.want == nil {
				wantInvalid(t, err)
				if n := f.gh.Count(""); n != 1 {
					t.Errorf("%d calls for a refused token, want 1 (GET /user only)", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(id.MaxActions, tt.want) || id.Claims[ClaimTokenType] != tt.tokenType {
				t.Errorf("MaxActions %q type %v, want %q %s", id.MaxActions, id.Claims[ClaimTokenType], tt.want, tt.tokenType)
			}
		})
	}
}

func TestAFineGrainedTokenSeesOnlyItsResourceOwnersTeamsAndNoOrgs(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.AllowUnscopedTokens = true }, ghtest.Options{})
	f.gh.AddOrg("other", "alice")
	f.gh.AddTeam("other", "ops", "alice")
	id, err := f.auth(f.gh.IssueToken(ghtest.Token{Kind: ghtest.FineGrained, Login: "alice", ResourceOwner: "Acme"}))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"acme/writers"}; !reflect.DeepEqual(id.Groups, want) || id.Grants != nil {
		t.Errorf("groups %q grants %q, want %q and none", id.Groups, id.Grants, want)
	}
}

func TestAClassicTokenWithoutReadOrgIsRefusedNamingTheScope(t *testing.T) {
	f := newFixture(t, nil, ghtest.Options{})
	_, err := f.auth(f.gh.Classic("alice", "write:packages"))
	wantInvalid(t, err)
	if got := err.Error(); !strings.Contains(got, "read:org") {
		t.Errorf("error %q does not name read:org", got)
	}
}

func TestTheTokenExpiryBecomesTheIdentityExpiryAndAnExpiredTokenIsRefused(t *testing.T) {
	f := newFixture(t, nil, ghtest.Options{})
	exp := f.clock.Now().Add(90 * time.Minute).Truncate(time.Second)
	tok := f.gh.IssueToken(ghtest.Token{Login: "alice", Scopes: []string{"read:packages", "read:org"}, Expires: exp})
	id, err := f.auth(tok)
	if err != nil {
		t.Fatal(err)
	}
	if !id.Expiry.Equal(exp) {
		t.Errorf("Expiry = %v, want %v", id.Expiry, exp)
	}
	f.clock.Set(exp)
	_, err = f.auth(tok)
	wantInvalid(t, err)
}

func TestRevokedTokensAndSuspendedUsersAreRefused(t *testing.T) {
	f := newFixture(t, nil, ghtest.Options{})
	tok := f.gh.Classic("alice", "read:packages", "read:org")
	f.gh.RevokeToken(tok)
	_, err := f.auth(tok)
	wantInvalid(t, err)
	f.gh.Suspend("bob")
	_, err = f.auth(f.gh.Classic("bob", "read:packages", "read:org"))
	wantInvalid(t, err)
	if n := f.gh.Count(ghtest.EndpointOrgs); n != 0 {
		t.Errorf("%d organisation listings for refused credentials, want 0", n)
	}
}

func TestAnEnterpriseAccountPasswordIsUsedOnlyWithAllowPasswords(t *testing.T) {
	for _, allow := range []bool{false, true} {
		f := newFixture(t, func(c *Config) { c.AllowPasswords = allow }, ghtest.Options{})
		f.gh.AddUser(ghtest.User{ID: 200, Login: "dave", Password: "correct horse"})
		id, err := f.p.Authenticate(t.Context(), basic("dave", "correct horse"))
		if !allow {
			wantInvalid(t, err)
			if n := f.gh.Count(""); n != 0 {
				t.Errorf("a password was sent %d times without allow_passwords", n)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if id.Subject != "200" || id.Claims[ClaimTokenType] != TokenPassword || !reflect.DeepEqual(id.MaxActions, []string{"pull", "push", "delete"}) {
			t.Errorf("identity %+v", id)
		}
	}
}

func TestLocallyMalformedSecretsAreRefusedWithoutACall(t *testing.T) {
	f := newFixture(t, nil, ghtest.Options{})
	for _, s := range []string{"", "ghs_installationtoken123", "ghr_refresh123", "ghp_has space", "ghp_\r\nX-Evil: 1", "hunter2", "ghp_" + string(make([]byte, 300))} {
		_, err := f.auth(s)
		wantInvalid(t, err)
	}
	for _, scheme := range []providers.Scheme{providers.SchemeBearer, providers.SchemeNone, providers.SchemeDPoP} {
		cred := basic("alice", f.gh.Classic("alice", "read:packages"))
		cred.Scheme = scheme
		_, err := f.p.Authenticate(t.Context(), cred)
		wantInvalid(t, err)
	}
	if n := f.gh.Count(""); n != 0 {
		t.Errorf("GitHub saw %d requests, want 0", n)
	}
}
