package gitlab

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/regbridge/regbridge/providers/internal/strictjson"
)

// User is the part of GET /api/v4/user the provider reads
// (lib/api/entities/user_public.rb; is_admin only for admins).
type User struct {
	ID               int64   `json:"id"`
	Username         string  `json:"username"`
	State            string  `json:"state"`
	Email            string  `json:"email"`
	ConfirmedAt      *string `json:"confirmed_at"`
	IsAdmin          bool    `json:"is_admin"`
	Bot              bool    `json:"bot"`
	External         bool    `json:"external"`
	TwoFactorEnabled bool    `json:"two_factor_enabled"`
}

// ParseUser reads a /user answer: a positive id, a GitLab username and a
// state.
func ParseUser(body []byte) (User, error) {
	var u User
	if err := strictjson.Unmarshal(body, &u); err != nil {
		return User{}, fmt.Errorf("user: %w", err)
	}
	switch {
	case u.ID <= 0:
		return User{}, fmt.Errorf("user: id %d is not a positive integer", u.ID)
	case !validPath(u.Username, 1):
		return User{}, fmt.Errorf("user: username %q is not a GitLab username", clean(u.Username))
	case u.State == "":
		return User{}, fmt.Errorf("user: no state")
	}
	return u, nil
}

// TokenSelf is GET /api/v4/personal_access_tokens/self
// (lib/api/personal_access_tokens/self_information.rb).
type TokenSelf struct {
	ID             int64           `json:"id"`
	Name           string          `json:"name"`
	Revoked        bool            `json:"revoked"`
	Active         bool            `json:"active"`
	Scopes         []string        `json:"scopes"`
	UserID         int64           `json:"user_id"`
	ExpiresAt      *string         `json:"expires_at"`
	GranularScopes json.RawMessage `json:"granular_scopes"`
}

// ParseTokenSelf reads a personal_access_tokens/self answer: a positive
// user_id, a scopes array and an expires_at that is a date or null. expiry
// is 00:00 UTC of expires_at, zero without one. Refused is a separate
// check.
func ParseTokenSelf(body []byte) (t TokenSelf, expiry time.Time, err error) {
	if err := strictjson.Unmarshal(body, &t); err != nil {
		return TokenSelf{}, time.Time{}, fmt.Errorf("token: %w", err)
	}
	switch {
	case t.UserID <= 0:
		return TokenSelf{}, time.Time{}, fmt.Errorf("token: user_id %d is not a positive integer", t.UserID)
	case t.Scopes == nil:
		return TokenSelf{}, time.Time{}, fmt.Errorf("token: no scopes list")
	}
	if t.ExpiresAt != nil {
		expiry, err = time.Parse(time.DateOnly, *t.ExpiresAt)
		if err != nil {
			return TokenSelf{}, time.Time{}, fmt.Errorf("token: expires_at %q is not a date", clean(*t.ExpiresAt))
		}
	}
	return t, expiry, nil
}

// Refused says why an answered token must not be accepted: revoked,
// inactive, or fine-grained (granular_scopes, whose boundaries the provider
// does not mirror). "" means none of these.
func (t TokenSelf) Refused() string {
	switch g := strings.TrimSpace(string(t.GranularScopes)); {
	case t.Revoked:
		return "revoked"
	case !t.Active:
		return "inactive"
	case g != "" && g != "null" && g != "[]":
		return "a fine-grained personal access token (granular_scopes), which regbridge does not support"
	}
	return ""
}

// TokenInfo is Doorkeeper's GET /oauth/token/info (doc/api/oauth2.md).
type TokenInfo struct {
	ResourceOwnerID int64    `json:"resource_owner_id"`
	Scope           []string `json:"scope"`
	ExpiresIn       *int64   `json:"expires_in"`
}

// ParseTokenInfo reads an /oauth/token/info answer: a positive owner id, a
// scope array and a non-negative expires_in (null for tokens that do not
// expire).
func ParseTokenInfo(body []byte) (TokenInfo, error) {
	var t TokenInfo
	if err := strictjson.Unmarshal(body, &t); err != nil {
		return TokenInfo{}, fmt.Errorf("token info: %w", err)
	}
	switch {
	case t.ResourceOwnerID <= 0:
		return TokenInfo{}, fmt.Errorf("token info: resource_owner_id %d is not a positive integer", t.ResourceOwnerID)
	case t.Scope == nil:
		return TokenInfo{}, fmt.Errorf("token info: no scope list")
	case t.ExpiresIn != nil && *t.ExpiresIn < 0:
		return TokenInfo{}, fmt.Errorf("token info: negative expires_in")
	}
	return t, nil
}

// ParseGroups reads one page of GET /api/v4/groups and returns the groups'
// full paths (a, a/b, a/b/c). At most 100 groups a page.
func ParseGroups(body []byte) ([]string, error) {
	var page []struct {
		ID       int64  `json:"id"`
		FullPath string `json:"full_path"`
	}
	if err := strictjson.Unmarshal(body, &page); err != nil {
		return nil, fmt.Errorf("groups: %w", err)
	}
	if page == nil {
		return nil, fmt.Errorf("groups: not an array")
	}
	if len(page) > maxPerPage {
		return nil, fmt.Errorf("groups: %d groups on one page, more than %d", len(page), maxPerPage)
	}
	out := make([]string, 0, len(page))
	for _, g := range page {
		if g.ID <= 0 || !validPath(g.FullPath, 1) {
			return nil, fmt.Errorf("groups: group %d has full_path %q", g.ID, clean(g.FullPath))
		}
		out = append(out, g.FullPath)
	}
	return out, nil
}

// access is a ProjectAccess or GroupAccess entity, or null.
type access struct {
	AccessLevel int `json:"access_level"`
}

// Project is the part of GET /api/v4/projects/:id the provider reads
// (lib/api/entities/project_with_access.rb).
type Project struct {
	ID                int64  `json:"id"`
	PathWithNamespace string `json:"path_with_namespace"`
	Archived          bool   `json:"archived"`
	Permissions       *struct {
		ProjectAccess *access `json:"project_access"`
		GroupAccess   *access `json:"group_access"`
	} `json:"permissions"`
}

// ParseProject reads a project answer. level is the higher of
// project_access and group_access; known reports whether either was given.
func ParseProject(body []byte) (p Project, level int, known bool, err error) {
	if err := strictjson.Unmarshal(body, &p); err != nil {
		return Project{}, 0, false, fmt.Errorf("project: %w", err)
	}
	if p.ID <= 0 || p.PathWithNamespace == "" {
		return Project{}, 0, false, fmt.Errorf("project: no id or path_with_namespace")
	}
	if p.Permissions != nil {
		for _, a := range []*access{p.Permissions.ProjectAccess, p.Permissions.GroupAccess} {
			if a != nil {
				known = true
				level = max(level, a.AccessLevel)
			}
		}
	}
	return p, level, known, nil
}

// Member is the part of GET /projects/:id/members/all/:user_id the
// provider reads (doc/api/members.md).
type Member struct {
	ID          int64  `json:"id"`
	State       string `json:"state"`
	AccessLevel int    `json:"access_level"`
}

// ParseMember reads a member answer.
func ParseMember(body []byte) (Member, error) {
	var m Member
	if err := strictjson.Unmarshal(body, &m); err != nil {
		return Member{}, fmt.Errorf("member: %w", err)
	}
	if m.ID <= 0 {
		return Member{}, fmt.Errorf("member: id %d is not a positive integer", m.ID)
	}
	return m, nil
}

// validPath reports whether s is a GitLab path of at least minSegments
// segments of [A-Za-z0-9_.-] (usernames are one segment, group full paths
// one or more).
func validPath(s string, minSegments int) bool {
	if s == "" || len(s) > 1024 {
		return false
	}
	segs := strings.Split(s, "/")
	if len(segs) < minSegments {
		return false
	}
	for _, seg := range segs {
		if seg == "" {
			return false
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
				return false
			}
		}
	}
	return true
}

// clean makes a forge-supplied string safe to put in an error: at most 64
// bytes, printable ASCII only.
func clean(s string) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < 64; i++ {
		if c := s[i]; c >= 0x20 && c < 0x7f {
			b.WriteByte(c)
		} else {
			b.WriteByte('?')
		}
	}
	return b.String()
}
