package ghtest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func get(t *testing.T, url, tok string) (*http.Response, map[string]any, []any) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("User-Agent", "ghtest")
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v any
	_ = json.NewDecoder(resp.Body).Decode(&v)
	obj, _ := v.(map[string]any)
	arr, _ := v.([]any)
	return resp, obj, arr
}

func newWorld(t *testing.T, opts Options) (*Server, *Clock) {
	clock := NewClock(time.Unix(1_900_000_000, 0))
	opts.Now = clock.Now
	s := New(t, opts)
	s.AddUser(User{Login: "alice"})
	s.AddOrg("acme")
	s.AddTeam("acme", "writers", "alice")
	s.AddRepo("acme/app", true)
	s.GrantTeam("acme/app", "acme/writers", RoleWrite)
	return s, clock
}

func TestScopeHeaderIsNormalizedForClassicTokensAndAbsentForFineGrainedOnes(t *testing.T) {
	s, _ := newWorld(t, Options{})
	classic := s.Classic("alice", "user", "user:email", "write:packages")
	empty := s.Classic("alice")
	fine := s.IssueToken(Token{Kind: FineGrained, Login: "alice", ResourceOwner: "acme"})
	if !strings.HasPrefix(fine, "github_pat_") || !strings.HasPrefix(classic, "ghp_") {
		t.Fatalf("token shapes %q %q", classic, fine)
	}
	for _, tt := range []struct {
		tok     string
		want    string
		present bool
	}{{classic, "user, write:packages", true}, {empty, "", true}, {fine, "", false}} {
		resp, _, _ := get(t, s.URL+"/user", tt.tok)
		v, ok := resp.Header["X-Oauth-Scopes"]
		if ok != tt.present || ok && v[0] != tt.want {
			t.Errorf("X-OAuth-Scopes = %q (present %v), want %q (present %v)", v, ok, tt.want, tt.present)
		}
	}
	_, _, orgs := get(t, s.URL+"/user/orgs", fine)
	if orgs == nil || len(orgs) != 0 {
		t.Errorf("fine-grained /user/orgs = %v, want []", orgs)
	}
}

func TestThePrimaryLimitAnswers403Or429UntilTheWindowResets(t *testing.T) {
	for _, status := range []int{403, 429} {
		s, clock := newWorld(t, Options{RateLimit: 2, LimitStatus: status})
		tok := s.Classic("alice", "read:packages")
		for i, want := range []string{"1", "0"} {
			resp, _, _ := get(t, s.URL+"/user", tok)
			if resp.StatusCode != 200 || resp.Header.Get("X-Ratelimit-Remaining") != want || resp.Header.Get("X-Ratelimit-Limit") != "2" {
				t.Fatalf("request %d: %d remaining %q", i, resp.StatusCode, resp.Header.Get("X-Ratelimit-Remaining"))
			}
		}
		resp, body, _ := get(t, s.URL+"/user", tok)
		if resp.StatusCode != status || resp.Header.Get("X-Ratelimit-Remaining") != "0" || !strings.Contains(body["message"].(string), "rate limit") {
			t.Fatalf("over the limit: %d %v %v", resp.StatusCode, resp.Header, body)
		}
		clock.Advance(time.Hour)
		if resp, _, _ := get(t, s.URL+"/user", tok); resp.StatusCode != 200 {
			t.Fatalf("after the reset: %d", resp.StatusCode)
		}
	}
}

func TestPagesAreCappedAt100AndLinkedWithAbsoluteURLs(t *testing.T) {
	s, _ := newWorld(t, Options{Enterprise: true})
	for i := 0; i < 150; i++ {
		s.AddOrg("org"+string(rune('a'+i/26))+string(rune('a'+i%26)), "alice")
	}
	tok := s.Classic("alice", "read:org")
	resp, _, items := get(t, s.APIURL()+"/user/orgs?per_page=500", tok)
	if len(items) != 100 {
		t.Fatalf("got %d items, want 100", len(items))
	}
	link := resp.Header.Get("Link")
	if !strings.Contains(link, "<"+s.URL+"/api/v3/user/orgs?page=2&per_page=100>; rel=\"next\"") {
		t.Fatalf("Link = %q", link)
	}
	_, _, rest := get(t, s.APIURL()+"/user/orgs?page=2&per_page=100", tok)
	if len(rest) != 51 {
		t.Fatalf("page 2 has %d items, want 51", len(rest))
	}
	if resp, _, _ := get(t, s.URL+"/user", tok); resp.StatusCode != 404 {
		t.Errorf("outside /api/v3 in Enterprise mode: %d, want 404", resp.StatusCode)
	}
}

func TestRepositoriesAnswerLikeGitHub(t *testing.T) {
	s, _ := newWorld(t, Options{})
	s.AddUser(User{Login: "bob"})
	s.AddRepo("acme/old", true)
	s.GrantTeam("acme/old", "acme/writers", RoleAdmin)
	s.RenameRepo("acme/old", "acme/new")
	full := s.Classic("alice", "repo")
	norepo := s.Classic("alice", "read:packages")
	bob := s.Classic("bob", "repo")
	tests := []struct {
		name, path, tok string
		status          int
		push            bool
	}{
		{"a team writer sees push", "/repos/ACME/App", full, 200, true},
		{"without the repo scope a private repository is not found", "/repos/acme/app", norepo, 404, false},
		{"a stranger gets 404", "/repos/acme/app", bob, 404, false},
		{"a renamed repository answers 301", "/repos/acme/old", full, 301, false},
		{"a missing repository is 404", "/repos/acme/nope", full, 404, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body, _ := get(t, s.URL+tt.path, tt.tok)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d (%v)", resp.StatusCode, tt.status, body)
			}
			if tt.status == 200 {
				perms := body["permissions"].(map[string]any)
				if perms["push"] != tt.push || body["full_name"] != "acme/app" {
					t.Errorf("got %v", body)
				}
			}
			if tt.status == 301 && !strings.HasPrefix(resp.Header.Get("Location"), s.URL+"/repositories/") {
				t.Errorf("Location = %q", resp.Header.Get("Location"))
			}
		})
	}
	if n := s.CountRepo("acme/app"); n != 3 {
		t.Errorf("CountRepo = %d, want 3", n)
	}
}

func TestExpiringTokensCarryTheirExpiryAndAreRefusedAfterIt(t *testing.T) {
	s, clock := newWorld(t, Options{})
	tok := s.IssueToken(Token{Kind: Classic, Login: "alice", Expires: clock.Now().Add(time.Hour)})
	resp, _, _ := get(t, s.URL+"/user", tok)
	if got, want := resp.Header.Get("Github-Authentication-Token-Expiration"), clock.Now().Add(time.Hour).UTC().Format("2006-01-02 15:04:05")+" UTC"; got != want {
		t.Errorf("expiration header %q, want %q", got, want)
	}
	clock.Advance(time.Hour)
	resp, body, _ := get(t, s.URL+"/user", tok)
	if resp.StatusCode != 401 || body["message"] != "Bad credentials" {
		t.Errorf("after expiry: %d %v", resp.StatusCode, body)
	}
}
