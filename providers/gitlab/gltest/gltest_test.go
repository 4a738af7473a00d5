package gltest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

type answer struct {
	status int
	header http.Header
	body   string
}

func get(t *testing.T, url string, header ...string) answer {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(b)}
}

func fixture(t *testing.T, opts Options) (*Server, *Clock) {
	clock := NewClock(time.Unix(1_900_000_000, 0))
	opts.Now = clock.Now
	s := New(t, opts)
	s.AddUser(User{ID: 7, Username: "jdoe"})
	s.AddUser(User{ID: 9, Username: "mallory", State: StateBlocked})
	s.AddProject(Project{Path: "acme/sub/app"})
	s.AddGroupMember("acme", 7, Developer)
	return s, clock
}

func TestTheFakeAcceptsPrivateTokenAndBearerButOAuthTokensOnlyAsBearer(t *testing.T) {
	s, _ := fixture(t, Options{})
	pat, oauth := s.AddPAT(7, "read_api"), s.AddOAuthToken(7, "read_api")
	for _, h := range [][]string{{"Private-Token", pat}, {"Authorization", "Bearer " + pat}, {"Authorization", "bearer " + oauth}} {
		if a := get(t, s.URL+"/api/v4/user", h...); a.status != 200 || !strings.Contains(a.body, `"username":"jdoe"`) {
			t.Errorf("%s: %d %s", h[0], a.status, a.body)
		}
	}
	if a := get(t, s.URL+"/api/v4/user?private_token="+pat); a.status != 200 {
		t.Errorf("private_token parameter: %d", a.status)
	}
	if a := get(t, s.URL+"/api/v4/user", "Private-Token", oauth); a.status != 401 || a.body != `{"message":"401 Unauthorized"}` {
		t.Errorf("OAuth token in PRIVATE-TOKEN: %d %s", a.status, a.body)
	}
}

func TestTheFakeAnswersRegistryOnlyPATsOnlyAtTokenSelfAndOAuthTokensThere400(t *testing.T) {
	s, _ := fixture(t, Options{})
	reg := s.AddPAT(7, "read_registry", "write_registry")
	a := get(t, s.URL+"/api/v4/user", "Private-Token", reg)
	var e map[string]string
	json.Unmarshal([]byte(a.body), &e)
	if a.status != 403 || e["error"] != "insufficient_scope" || e["scope"] != "api read_api read_user" || a.header.Get("WWW-Authenticate") != "" {
		t.Errorf("/user with a registry-only PAT: %d %s %v", a.status, a.body, a.header)
	}
	if a := get(t, s.URL+"/api/v4/personal_access_tokens/self", "Private-Token", reg); a.status != 200 || !strings.Contains(a.body, `"scopes":["read_registry","write_registry"]`) || !strings.Contains(a.body, `"user_id":7`) {
		t.Errorf("self: %d %s", a.status, a.body)
	}
	oauth := s.AddOAuthToken(7, "api")
	if a := get(t, s.URL+"/api/v4/personal_access_tokens/self", "Authorization", "Bearer "+oauth); a.status != 400 || !strings.Contains(a.body, "requires token type to be a personal access token") {
		t.Errorf("self with OAuth: %d %s", a.status, a.body)
	}
	if a := get(t, s.URL+"/oauth/token/info", "Authorization", "Bearer "+oauth); a.status != 200 || !strings.Contains(a.body, `"resource_owner_id":7`) || !strings.Contains(a.body, `"expires_in":7200`) {
		t.Errorf("token info: %d %s", a.status, a.body)
	}
	if a := get(t, s.URL+"/oauth/token/info", "Authorization", "Bearer "+reg); a.status != 401 || !strings.Contains(a.body, "The access token is invalid") {
		t.Errorf("token info with a PAT: %d %s", a.status, a.body)
	}
}

func TestTheFakeTellsExpiredRevokedAndBlockedApart(t *testing.T) {
	s, clock := fixture(t, Options{})
	expired, revoked := s.AddPAT(7, "api"), s.AddPAT(7, "api")
	s.ExpireToken(expired)
	s.RevokeToken(revoked)
	a := get(t, s.URL+"/api/v4/user", "Private-Token", expired)
	if a.status != 401 || a.body != `{"error":"invalid_token","error_description":"Token is expired. You can either do re-authorization or token refresh."}` ||
		!strings.HasPrefix(a.header.Get("WWW-Authenticate"), `Bearer realm="The API", error="invalid_token"`) {
		t.Errorf("expired: %d %s", a.status, a.body)
	}
	if a := get(t, s.URL+"/api/v4/user", "Private-Token", revoked); a.status != 401 || !strings.Contains(a.body, "Token was revoked. You have to re-authorize from the user.") {
		t.Errorf("revoked: %d %s", a.status, a.body)
	}
	blocked := s.AddPAT(9, "api")
	for _, path := range []string{"/api/v4/user", "/api/v4/personal_access_tokens/self", "/api/v4/groups"} {
		if a := get(t, s.URL+path, "Private-Token", blocked); a.status != 403 || a.body != `{"message":"403 Forbidden - Your account has been blocked."}` {
			t.Errorf("blocked %s: %d %s", path, a.status, a.body)
		}
	}
	oauth := s.AddOAuthToken(7, "api")
	clock.Advance(2 * time.Hour)
	if a := get(t, s.URL+"/api/v4/user", "Authorization", "Bearer "+oauth); a.status != 401 || !strings.Contains(a.body, "Token is expired") {
		t.Errorf("OAuth after two hours: %d %s", a.status, a.body)
	}
}

func TestTheFakeFindsProjectsByEncodedPathAndReportsAccessLikeGitLab(t *testing.T) {
	s, _ := fixture(t, Options{})
	tok := s.AddPAT(7, "read_api")
	a := get(t, s.URL+"/api/v4/projects/acme%2Fsub%2Fapp", "Private-Token", tok)
	if a.status != 200 || !strings.Contains(a.body, `"path_with_namespace":"acme/sub/app"`) ||
		!strings.Contains(a.body, `"permissions":{"group_access":{"access_level":30,"notification_level":3},"project_access":null}`) {
		t.Errorf("encoded path: %d %s", a.status, a.body)
	}
	if a := get(t, s.URL+"/api/v4/projects/ACME%2Fsub%2FApp", "Private-Token", tok); a.status != 200 || !strings.Contains(a.body, `"path_with_namespace":"acme/sub/app"`) {
		t.Errorf("case-insensitive: %d %s", a.status, a.body)
	}
	if a := get(t, s.URL+"/api/v4/projects/acme/sub/app", "Private-Token", tok); a.status != 404 || a.body != `{"error":"404 Not Found"}` {
		t.Errorf("unencoded path: %d %s", a.status, a.body)
	}
	other := s.AddPAT(9, "api")
	s.SetUserState(9, StateActive)
	if a := get(t, s.URL+"/api/v4/projects/acme%2Fsub%2Fapp", "Private-Token", other); a.status != 404 || a.body != `{"message":"404 Project Not Found"}` {
		t.Errorf("private without access: %d %s", a.status, a.body)
	}
	// Access through a share: null in permissions, counted by members/all.
	s.AddGroupMember("partners", 9, Owner)
	s.ShareProjectWithGroup("acme/sub/app", "partners", Reporter)
	if a := get(t, s.URL+"/api/v4/projects/acme%2Fsub%2Fapp", "Private-Token", other); a.status != 200 || !strings.Contains(a.body, `"permissions":{"group_access":null,"project_access":null}`) {
		t.Errorf("shared: %d %s", a.status, a.body)
	}
	id := strings.Split(strings.Split(a.body, `"id":`)[1], ",")[0]
	if a := get(t, s.URL+"/api/v4/projects/"+id+"/members/all/9", "Private-Token", other); a.status != 200 || !strings.Contains(a.body, `"access_level":20`) {
		t.Errorf("members/all: %d %s", a.status, a.body)
	}
	if a := get(t, s.URL+"/api/v4/projects/"+id+"/members/all/7", "Private-Token", other); a.status != 200 || !strings.Contains(a.body, `"access_level":30`) {
		t.Errorf("members/all of jdoe: %d %s", a.status, a.body)
	}
}

func TestTheFakeAnswersAMovedProject301ToItsIDOr200BeforeGitLab16_7(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		s, _ := fixture(t, Options{LegacyRedirects: legacy})
		s.MoveProject("acme/sub/app", "acme/app")
		tok := s.AddPAT(7, "read_api")
		a := get(t, s.URL+"/api/v4/projects/acme%2Fsub%2Fapp", "Private-Token", tok)
		switch {
		case !legacy && (a.status != 301 || !strings.HasSuffix(a.header.Get("Location"), "/api/v4/projects/1001") || !strings.Contains(a.body, "moved permanently")):
			t.Errorf("moved: %d %v %s", a.status, a.header.Get("Location"), a.body)
		case legacy && (a.status != 200 || !strings.Contains(a.body, `"path_with_namespace":"acme/app"`)):
			t.Errorf("moved, legacy: %d %s", a.status, a.body)
		}
		if a := get(t, s.URL+"/api/v4/projects/acme%2Fsub%2Fapp", "Private-Token", s.AddPAT(9, "api")); a.status != 403 && a.status != 404 {
			t.Errorf("moved, no access: %d", a.status)
		}
	}
}

func TestTheFakeRateLimitsWithHeadersAndAPlainText429(t *testing.T) {
	s, clock := fixture(t, Options{RateLimit: 2})
	tok := s.AddPAT(7, "api")
	a := get(t, s.URL+"/api/v4/user", "Private-Token", tok)
	if a.header.Get("RateLimit-Limit") != "2" || a.header.Get("RateLimit-Remaining") != "1" || a.header.Get("RateLimit-Observed") != "1" ||
		a.header.Get("RateLimit-Reset") != "1900000020" || a.header.Get("RateLimit-Name") != "throttle_authenticated_api" {
		t.Errorf("headers %v", a.header)
	}
	get(t, s.URL+"/api/v4/user", "Private-Token", tok)
	a = get(t, s.URL+"/api/v4/user", "Private-Token", tok)
	if a.status != 429 || a.body != "Retry later\n" || a.header.Get("Content-Type") != "text/plain" || a.header.Get("Retry-After") != "20" ||
		a.header.Get("RateLimit-ResetTime") == "" || a.header.Get("RateLimit-Remaining") != "0" {
		t.Errorf("over the limit: %d %q %v", a.status, a.body, a.header)
	}
	clock.Advance(20 * time.Second)
	if a := get(t, s.URL+"/api/v4/user", "Private-Token", tok); a.status != 200 {
		t.Errorf("next window: %d", a.status)
	}
}

func TestTheFakePaginatesGroupsWithLinkAndXHeadersAtMost100APage(t *testing.T) {
	s, _ := fixture(t, Options{})
	// 150 groups, plus acme and acme/sub (inherited): 152.
	for i := 0; i < 150; i++ {
		s.AddGroupMember("big/g"+strings.Repeat("a", i/26)+string(rune('a'+i%26)), 7, Reporter)
	}
	tok := s.AddPAT(7, "read_api")
	a := get(t, s.URL+"/api/v4/groups?min_access_level=10&per_page=500", "Private-Token", tok)
	var page []map[string]any
	json.Unmarshal([]byte(a.body), &page)
	if len(page) != 100 || a.header.Get("X-Per-Page") != "100" || a.header.Get("X-Total") != "152" || a.header.Get("X-Next-Page") != "2" ||
		!strings.Contains(a.header.Get("Link"), `page=2&per_page=100>; rel="next"`) {
		t.Errorf("page 1: %d groups, headers %v", len(page), a.header)
	}
	a = get(t, s.URL+"/api/v4/groups?min_access_level=10&per_page=100&page=2", "Private-Token", tok)
	json.Unmarshal([]byte(a.body), &page)
	if len(page) != 52 || a.header.Get("X-Next-Page") != "" || strings.Contains(a.header.Get("Link"), `rel="next"`) {
		t.Errorf("page 2: %d groups, headers %v", len(page), a.header)
	}
	if n := s.CountEndpoint(EndpointGroups); n != 2 {
		t.Errorf("counted %d", n)
	}
}

func TestTheFakeFailsOnDemand(t *testing.T) {
	s, _ := fixture(t, Options{})
	for f, want := range map[Fault]int{FaultInternal: 500, FaultBadGateway: 502, FaultServiceUnavailable: 503, FaultGatewayTimeout: 504, FaultBareTooManyRequests: 429, FaultHTML: 200} {
		s.SetFault(f)
		if a := get(t, s.URL+"/api/v4/user"); a.status != want {
			t.Errorf("fault %d: %d, want %d", f, a.status, want)
		}
	}
	s.SetFault(FaultReset)
	if _, err := http.Get(s.URL + "/api/v4/user"); err == nil {
		t.Error("reset: got an answer")
	}
}
