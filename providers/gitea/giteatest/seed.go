package giteatest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Password returns the password Seed gives user name.
func Password(name string) string { return name + "-pass-123456" }

// API sends one request to the forge's API as root0 (its all-scope token,
// or Basic with its password when basic is true) and fails t unless the
// status is want. It returns the body.
func (s *Server) API(t testing.TB, method, path string, body any, want int) []byte {
	t.Helper()
	return s.api(t, method, path, body, want, "token "+s.AdminToken)
}

func (s *Server) api(t testing.TB, method, path string, body any, want int, authz string) []byte {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL+"/api/v1"+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if strings.HasPrefix(authz, "basic ") {
		req.SetBasicAuth(AdminUser, AdminPassword)
	} else {
		req.Header.Set("Authorization", authz)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("giteatest: %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("giteatest: %s %s: %d %s, want %d", method, path, resp.StatusCode, b, want)
	}
	return b
}

// CreateUser creates a user with Password(name) and returns its id.
func (s *Server) CreateUser(t testing.TB, name string) int64 {
	t.Helper()
	var u struct {
		ID int64 `json:"id"`
	}
	decode(t, s.API(t, "POST", "/admin/users", map[string]any{
		"username": name, "email": name + "@example.test", "password": Password(name),
		"must_change_password": false,
	}, http.StatusCreated), &u)
	return u.ID
}

// CreateOrg creates an organisation (private when private is true).
func (s *Server) CreateOrg(t testing.TB, name string, private bool) {
	t.Helper()
	vis := "public"
	if private {
		vis = "private"
	}
	s.API(t, "POST", "/orgs", map[string]any{"username": name, "visibility": vis}, http.StatusCreated)
}

// teamUnits are the units a seeded team gets, all at the team's level.
var teamUnits = []string{"repo.code", "repo.issues", "repo.pulls", "repo.releases", "repo.wiki", "repo.packages"}

// CreateTeam creates a team with permission "read" or "write" on every
// repository of org, adds members, and returns the team id.
func (s *Server) CreateTeam(t testing.TB, org, team, permission string, members ...string) int64 {
	t.Helper()
	var tm struct {
		ID int64 `json:"id"`
	}
	decode(t, s.API(t, "POST", "/orgs/"+org+"/teams", map[string]any{
		"name": team, "permission": permission, "includes_all_repositories": true, "units": teamUnits,
	}, http.StatusCreated), &tm)
	for _, m := range members {
		s.API(t, "PUT", fmt.Sprintf("/teams/%d/members/%s", tm.ID, m), nil, http.StatusNoContent)
	}
	return tm.ID
}

// CreateOrgRepo creates repository org/name (private when private is true).
func (s *Server) CreateOrgRepo(t testing.TB, org, name string, private bool) {
	t.Helper()
	s.API(t, "POST", "/orgs/"+org+"/repos", map[string]any{"name": name, "private": private}, http.StatusCreated)
}

// CreateUserRepo creates repository user/name as that user.
func (s *Server) CreateUserRepo(t testing.TB, user, name string, private bool) {
	t.Helper()
	s.API(t, "POST", "/admin/users/"+user+"/repos", map[string]any{"name": name, "private": private}, http.StatusCreated)
}

// Token creates a personal access token for user with the comma-separated
// scopes and returns it.
func (s *Server) Token(t testing.TB, user, name, scopes string) string {
	t.Helper()
	var tok struct {
		SHA1 string `json:"sha1"`
	}
	decode(t, s.api(t, "POST", "/users/"+user+"/tokens", map[string]any{
		"name": name, "scopes": strings.Split(scopes, ","),
	}, http.StatusCreated, "basic "), &tok)
	if tok.SHA1 == "" {
		t.Fatal("giteatest: token creation returned no token")
	}
	return tok.SHA1
}

// RevokeToken deletes user's token by name.
func (s *Server) RevokeToken(t testing.TB, user, name string) {
	t.Helper()
	s.api(t, "DELETE", "/users/"+user+"/tokens/"+name, nil, http.StatusNoContent, "basic ")
}

// SetProhibitLogin suspends (true) or restores (false) a user.
func (s *Server) SetProhibitLogin(t testing.TB, user string, prohibit bool) {
	t.Helper()
	s.API(t, "PATCH", "/admin/users/"+user, map[string]any{"source_id": 0, "login_name": user, "prohibit_login": prohibit}, http.StatusOK)
}

// SetActive activates or deactivates a user.
func (s *Server) SetActive(t testing.TB, user string, active bool) {
	t.Helper()
	s.API(t, "PATCH", "/admin/users/"+user, map[string]any{"source_id": 0, "login_name": user, "active": active}, http.StatusOK)
}

// RenameUser renames a user.
func (s *Server) RenameUser(t testing.TB, user, to string) {
	t.Helper()
	s.API(t, "POST", "/admin/users/"+user+"/rename", map[string]any{"new_username": to}, http.StatusNoContent)
}

// RemoveTeamMember removes user from a team.
func (s *Server) RemoveTeamMember(t testing.TB, team int64, user string) {
	t.Helper()
	s.API(t, "DELETE", fmt.Sprintf("/teams/%d/members/%s", team, user), nil, http.StatusNoContent)
}

func decode(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("giteatest: %v: %s", err, b)
	}
}
