package gltest

import (
	"strings"
	"time"
)

// AccessLevel is a GitLab role's access_level (doc/api/members.md; Planner
// 15 since 17.7).
type AccessLevel int

// GitLab roles.
const (
	NoAccess      AccessLevel = 0
	MinimalAccess AccessLevel = 5
	Guest         AccessLevel = 10
	Planner       AccessLevel = 15
	Reporter      AccessLevel = 20
	Developer     AccessLevel = 30
	Maintainer    AccessLevel = 40
	Owner         AccessLevel = 50
)

// User states as GitLab reports them in `state`.
const (
	StateActive      = "active"
	StateBlocked     = "blocked"
	StateDeactivated = "deactivated"
	// StatePending is blocked_pending_approval: an account waiting for an
	// administrator.
	StatePending = "blocked_pending_approval"
)

// User is an account of the fake instance.
type User struct {
	// ID is the immutable numeric id (required, > 0).
	ID int
	// Username is the login; RenameUser changes it.
	Username string
	// Name is the display name. Default: Username.
	Name string
	// Email is the primary address. Default: <username>@example.com.
	Email string
	// State is "" or StateActive, StateBlocked, StateDeactivated or
	// StatePending.
	State string
	// Admin users see every project and get `is_admin` in /user.
	Admin bool
	// Bot marks project and group access token users.
	Bot bool
	// External users cannot see internal projects they are not members of.
	External bool
}

// TokenKind says which GitLab table a token lives in.
type TokenKind int

const (
	// PersonalAccessToken is a PAT (also what project and group access
	// tokens are, for a bot user).
	PersonalAccessToken TokenKind = iota
	// OAuthToken is an OAuth 2.0 access token of an application.
	OAuthToken
)

// Token is a credential the fake knows.
type Token struct {
	// Value is the secret. AddToken generates one when empty.
	Value string
	Kind  TokenKind
	// UserID is the owner.
	UserID int
	// Name is the PAT's name.
	Name string
	// Scopes are the token's scopes (api, read_api, read_user,
	// read_registry, write_registry, ...).
	Scopes []string
	// GranularScopes, when non-empty, is reported as the fine-grained PAT
	// `granular_scopes` JSON (raw).
	GranularScopes string
	// ExpiresAt is when the token stops working; zero means never (PATs
	// of instances that allow it). PATs expire at 00:00 UTC of their
	// expires_at date; AddPAT sets a date.
	ExpiresAt time.Time
	// Revoked tokens answer 401 "Token was revoked".
	Revoked bool
	// CreatedAt is reported by /oauth/token/info. Default: when added.
	CreatedAt time.Time
}

// Project is a repository of the fake instance.
type Project struct {
	// ID is the immutable id. AddProject assigns one when 0.
	ID int
	// Path is path_with_namespace ("group/sub/app", "jdoe/app").
	Path string
	// Visibility is "private" (default), "internal" or "public".
	Visibility string
	// Archived projects are read-only in GitLab.
	Archived bool
}

type project struct {
	Project
	members map[int]AccessLevel
	shares  map[string]AccessLevel // group full path → link's max level
}

type group struct {
	id      int
	path    string // full path
	members map[int]AccessLevel
}

func (p *project) namespace() string {
	i := strings.LastIndex(p.Path, "/")
	if i < 0 {
		return ""
	}
	return p.Path[:i]
}

func (p *project) name() string { return p.Path[strings.LastIndex(p.Path, "/")+1:] }

// ancestors returns full path and its ancestors, nearest first: a/b/c,
// a/b, a.
func ancestors(full string) []string {
	var out []string
	for full != "" {
		out = append(out, full)
		i := strings.LastIndex(full, "/")
		if i < 0 {
			break
		}
		full = full[:i]
	}
	return out
}

func (u User) state() string {
	if u.State == "" {
		return StateActive
	}
	return u.State
}
