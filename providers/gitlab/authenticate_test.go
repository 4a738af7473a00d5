package gitlab

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers/gitlab/gltest"
	"github.com/regbridge/regbridge/providers/internal/forgeapi"
)

func TestAPATWithReadAPIAndWriteRegistryLogsInAsTheForgeUserInThreeCalls(t *testing.T) {
	f := newFixture(t, nil, gltest.Options{})
	tok := f.gl.AddPAT(jdoe, "read_api", "write_registry")
	id := f.login(t, tok)
	if id.Subject != "7" || id.Username != "jdoe" {
		t.Errorf("identity %q/%q, want 7/jdoe", id.Subject, id.Username)
	}
	if want := []string{"acme", "acme/platform"}; !slices.Equal(id.Groups, want) {
		t.Errorf("groups %v, want %v", id.Groups, want)
	}
	if want := []string{"pull", "push"}; !slices.Equal(id.MaxActions, want) {
		t.Errorf("max actions %v, want %v", id.MaxActions, want)
	}
	if !slices.Equal(id.Grants, []string{"read_api", "write_registry"}) {
		t.Errorf("grants %v", id.Grants)
	}
	if id.Claims[forgeapi.ClaimLogin] != "jdoe" || id.Claims[forgeapi.ClaimIsAdmin] != false || id.Claims[forgeapi.ClaimEmailVerified] != true ||
		id.Claims[ClaimState] != "active" || id.Claims[ClaimTokenKind] != "personal_access_token" || id.Claims[forgeapi.ClaimID].(interface{ String() string }).String() != "7" {
		t.Errorf("claims %v", id.Claims)
	}
	if id.Expiry.IsZero() || !id.Expiry.After(f.clock.Now()) {
		t.Errorf("expiry %v, want the PAT's expires_at", id.Expiry)
	}
	for ep, want := range map[string]int{gltest.EndpointTokenSelf: 1, gltest.EndpointUser: 1, gltest.EndpointGroups: 1, gltest.EndpointTokenInfo: 0} {
		if n := f.gl.CountEndpoint(ep); n != want {
			t.Errorf("%s called %d times, want %d", ep, n, want)
		}
	}
	for _, r := range f.gl.Requests() {
		if r.Header.Get("Authorization") != "Bearer "+tok || r.Header.Get("Private-Token") != "" {
			t.Errorf("%s: token not sent as exactly one Bearer header", r.Path)
		}
	}
}

func TestTokenScopesCapTheRegistryActions(t *testing.T) {
	cases := []struct {
		name      string
		scopes    []string
		unscoped  bool
		want      []string // nil: refused
		wantCalls int      // requests to the fake
	}{
		{"read_registry pulls", []string{"read_api", "read_registry"}, false, []string{"pull"}, 3},
		{"write_registry pulls and pushes", []string{"read_api", "write_registry"}, false, []string{"pull", "push"}, 3},
		{"both registry scopes push", []string{"read_api", "read_registry", "write_registry"}, false, []string{"pull", "push"}, 3},
		{"api pulls, pushes and deletes", []string{"api"}, false, []string{"pull", "push", "delete"}, 3},
		{"read_api alone is unscoped and refused", []string{"read_api"}, false, nil, 1},
		{"read_api alone pulls with allow_unscoped_tokens", []string{"read_api"}, true, []string{"pull"}, 3},
		{"a registry-only PAT is refused without calling /user", []string{"read_registry", "write_registry"}, false, nil, 1},
		{"a registry-only PAT is refused even with allow_unscoped_tokens", []string{"write_registry"}, true, nil, 1},
		{"read_user cannot list groups or projects and is refused", []string{"read_user", "write_registry"}, false, nil, 1},
		{"no scopes at all is refused", []string{}, true, nil, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, func(cfg *Config) { cfg.AllowUnscopedTokens = c.unscoped }, gltest.Options{})
			tok := f.gl.AddPAT(jdoe, c.scopes...)
			id, err := f.auth(tok)
			if c.want == nil {
				wantInvalid(t, err)
			} else if err != nil {
				t.Fatalf("Authenticate: %v", err)
			} else if !slices.Equal(id.MaxActions, c.want) {
				t.Errorf("max actions %v, want %v", id.MaxActions, c.want)
			}
			if n := f.gl.Count(); n != c.wantCalls {
				t.Errorf("%d calls to GitLab, want %d", n, c.wantCalls)
			}
		})
	}
}

func TestAnOAuthTokenIsReadThroughTokenInfoAndExpiresWithIt(t *testing.T) {
	f := newFixture(t, nil, gltest.Options{})
	tok := f.gl.AddOAuthToken(jdoe, "read_api", "read_registry")
	id := f.login(t, tok)
	if id.Subject != "7" || id.Claims[ClaimTokenKind] != "oauth" || !slices.Equal(id.MaxActions, []string{"pull"}) {
		t.Errorf("identity %+v", id)
	}
	if want := f.clock.Now().Add(2 * time.Hour); !id.Expiry.Equal(want) {
		t.Errorf("expiry %v, want %v", id.Expiry, want)
	}
	if n := f.gl.CountEndpoint(gltest.EndpointTokenInfo); n != 1 {
		t.Errorf("token info called %d times", n)
	}
	f.clock.Advance(2*time.Hour + time.Second)
	_, err := f.auth(tok)
	wantInvalid(t, err)
}

func TestRefusedTokensAndAccountsAreInvalidCredentials(t *testing.T) {
	cases := []struct {
		name   string
		setup  func(f *fixture) string
		reason string
	}{
		{"unknown token", func(f *fixture) string { return "glpat-unknownunknownunkn" }, "401 Unauthorized"},
		{"revoked PAT", func(f *fixture) string {
			tok := f.gl.AddPAT(jdoe, "api")
			f.gl.RevokeToken(tok)
			return tok
		}, "Token was revoked"},
		{"expired PAT", func(f *fixture) string {
			tok := f.gl.AddPAT(jdoe, "api")
			f.gl.ExpireToken(tok)
			return tok
		}, "Token is expired"},
		{"revoked OAuth token", func(f *fixture) string {
			tok := f.gl.AddOAuthToken(jdoe, "api")
			f.gl.RevokeToken(tok)
			return tok
		}, "Token was revoked"},
		{"blocked user", func(f *fixture) string { return f.gl.AddPAT(mallory, "api") }, "Your account has been blocked."},
		{"deactivated user", func(f *fixture) string {
			f.gl.SetUserState(rita, gltest.StateDeactivated)
			return f.gl.AddPAT(rita, "api")
		}, "deactivated"},
		{"user pending approval", func(f *fixture) string {
			f.gl.SetUserState(rita, gltest.StatePending)
			return f.gl.AddPAT(rita, "api")
		}, "pending approval"},
		{"blocked user with an OAuth token", func(f *fixture) string { return f.gl.AddOAuthToken(mallory, "api") }, "blocked"},
		{"fine-grained PAT", func(f *fixture) string {
			return f.gl.AddToken(gltest.Token{UserID: jdoe, Scopes: []string{"api"}, GranularScopes: `[{"boundary":"project","permissions":["read_container_image"]}]`})
		}, "fine-grained"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, nil, gltest.Options{})
			_, err := f.auth(c.setup(f))
			wantInvalid(t, err)
			if !strings.Contains(err.Error(), c.reason) {
				t.Errorf("err %q does not say %q", err, c.reason)
			}
		})
	}
}

func TestCredentialsNoGitLabTokenLooksLikeAreRefusedWithoutACall(t *testing.T) {
	f := newFixture(t, nil, gltest.Options{})
	for _, tok := range []string{"", "glpat has spaces", "tab\there", strings.Repeat("x", 1025), "caf\u00e9"} {
		_, err := f.auth(tok)
		wantInvalid(t, err)
	}
	cred := basic("gitlab", f.gl.AddPAT(jdoe, "api"))
	cred.Scheme = "Bearer"
	_, err := f.p.Authenticate(t.Context(), cred)
	wantInvalid(t, err)
	if n := f.gl.Count(); n != 0 {
		t.Errorf("%d calls to GitLab, want 0", n)
	}
}

func TestGroupsAreFullPathsFollowedAcrossPages(t *testing.T) {
	f := newFixture(t, nil, gltest.Options{})
	for i := 0; i < 230; i++ {
		f.gl.AddGroupMember(fmt.Sprintf("big/g%03d", i), jdoe, gltest.Guest)
	}
	f.gl.AddGroupMember("deep/a/b/c", jdoe, gltest.Planner)
	f.gl.AddGroupMember("minimal", jdoe, gltest.MinimalAccess)
	id := f.login(t, f.gl.AddPAT(jdoe, "api"))
	// acme, acme/platform, 230 big/gNNN, deep/a/b/c: "big" and "deep" are
	// not groups of jdoe (membership is inherited downwards only).
	if len(id.Groups) != 233 || !slices.Contains(id.Groups, "deep/a/b/c") || slices.Contains(id.Groups, "big") || slices.Contains(id.Groups, "minimal") {
		t.Errorf("%d groups: %v", len(id.Groups), id.Groups)
	}
	if n := f.gl.CountEndpoint(gltest.EndpointGroups); n != 3 {
		t.Errorf("%d group pages, want 3 of 100", n)
	}
}

func TestOutagesAreUnavailableWithARetryHint(t *testing.T) {
	cases := []struct {
		fault gltest.Fault
		retry time.Duration
	}{
		{gltest.FaultInternal, 5 * time.Second},
		{gltest.FaultBadGateway, 5 * time.Second},
		{gltest.FaultServiceUnavailable, 7 * time.Second},
		{gltest.FaultGatewayTimeout, 5 * time.Second},
		{gltest.FaultReset, 0},
		{gltest.FaultBareTooManyRequests, 5 * time.Second},
		{gltest.FaultHTML, 0},
		{gltest.FaultSlow, 0},
	}
	for _, c := range cases {
		f := newFixture(t, func(cfg *Config) { cfg.Timeout = 300 * time.Millisecond }, gltest.Options{})
		tok := f.gl.AddPAT(jdoe, "api")
		f.gl.SetFault(c.fault)
		_, err := f.auth(tok)
		ue := wantUnavailable(t, err)
		if c.retry != 0 && ue.RetryAfter != c.retry {
			t.Errorf("fault %d: RetryAfter %v, want %v", c.fault, ue.RetryAfter, c.retry)
		}
		f.gl.SetFault(gltest.FaultNone)
		if _, err := f.auth(tok); err != nil {
			t.Errorf("fault %d cleared: %v", c.fault, err)
		}
	}
}

func TestARateLimitIsUnavailableUntilTheWindowResetsAndABlockedAnswerAtZeroRemainingIsNot(t *testing.T) {
	f := newFixture(t, nil, gltest.Options{RateLimit: 4})
	// The clock is at 1_900_000_000, 20 s before its 60 s window ends.
	tok := f.gl.AddPAT(jdoe, "api")
	f.login(t, tok) // 3 requests
	_, err := f.auth(tok)
	if ue := wantUnavailable(t, err); ue.RetryAfter != 20*time.Second {
		t.Errorf("RetryAfter %v, want 20s from Retry-After", ue.RetryAfter)
	}
	f.clock.Advance(20 * time.Second)
	f.login(t, tok)

	// The fourth request of a window carries RateLimit-Remaining: 0; a 403
	// for a blocked account is still a refusal, not a rate limit.
	g := newFixture(t, nil, gltest.Options{RateLimit: 1})
	_, err = g.auth(g.gl.AddPAT(mallory, "api"))
	wantInvalid(t, err)
}
