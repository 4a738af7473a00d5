package ghtest

import (
	"fmt"
	"strings"
	"time"
)

// Role is a user's or team's role on a repository (forges.md §3.5).
type Role string

// Repository roles, weakest first. RoleNone removes a grant.
const (
	RoleNone     Role = ""
	RoleRead     Role = "read"
	RoleTriage   Role = "triage"
	RoleWrite    Role = "write"
	RoleMaintain Role = "maintain"
	RoleAdmin    Role = "admin"
)

var roleRank = map[Role]int{RoleNone: 0, RoleRead: 1, RoleTriage: 2, RoleWrite: 3, RoleMaintain: 4, RoleAdmin: 5}

// TokenKind is the kind of a token, which decides its prefix and how
// GitHub answers it (forges.md §3.1, §3.3).
type TokenKind int

// Token kinds.
const (
	// Classic is a classic personal access token (ghp_): its scopes are
	// in X-OAuth-Scopes on every answer.
	Classic TokenKind = iota
	// FineGrained is a fine-grained personal access token (github_pat_):
	// no X-OAuth-Scopes header, one resource owner, selected repositories,
	// GET /user/orgs answers [].
	FineGrained
	// OAuth is an OAuth app token (gho_), answered like a classic token.
	OAuth
	// AppUser is a GitHub App user token (ghu_): no scope header. The fake
	// does not model the app's installation: it sees public repositories
	// and lists no organisations or teams.
	AppUser
)

// Token describes a token to issue (IssueToken).
type Token struct {
	Kind TokenKind
	// Login is the user the token acts for.
	Login string
	// Scopes of a Classic or OAuth token, as granted; the X-OAuth-Scopes
	// header shows them normalized (implied scopes dropped).
	Scopes []string
	// Expires, when set, is sent as GitHub-Authentication-Token-Expiration;
	// from then on the token is refused with 401.
	Expires time.Time
	// ResourceOwner of a FineGrained token (a user or organisation login).
	ResourceOwner string
	// Repositories a FineGrained token may reach ("owner/name"); nil means
	// all of the resource owner's repositories.
	Repositories []string
	// SSOAuthorized lists the SAML-enforcing organisations a Classic or
	// OAuth token has been authorized for.
	SSOAuthorized []string
}

// User is an account.
type User struct {
	// ID is the immutable id; 0 lets AddUser choose the next one.
	ID    int64
	Login string
	// Type is "User" unless set.
	Type      string
	SiteAdmin bool
	// SuspendedAt, when set, is shown as suspended_at (Enterprise Server).
	SuspendedAt time.Time
	// Password is accepted as Basic authentication in Enterprise mode only
	// (forges.md §3.1).
	Password string
}

type org struct {
	id      int64
	login   string
	saml    bool
	members map[int64]bool
}

type team struct {
	id      int64
	org     *org
	slug    string
	members map[int64]bool
}

type repo struct {
	id      int64
	owner   string // login of a user or organisation
	name    string
	private bool
	users   map[int64]Role
	teams   map[*team]Role
}

func (r *repo) fullName() string { return r.owner + "/" + r.name }

type tokenRec struct {
	Token
	value   string
	userID  int64
	revoked bool
}

func key(s string) string { return strings.ToLower(s) }

// AddUser adds an account and returns its id.
func (s *Server) AddUser(u User) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.ID == 0 {
		s.nextID++
		u.ID = s.nextID
	}
	if u.Type == "" {
		u.Type = "User"
	}
	uu := u
	s.users[u.ID] = &uu
	s.logins[key(u.Login)] = u.ID
	return u.ID
}

// Suspend sets the user's suspended_at to the fake's current time.
func (s *Server) Suspend(login string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustUser(login).SuspendedAt = s.opts.Now()
}

// RenameUser changes a login, as GitHub does: the id stays, repositories
// the user owns move to the new name, and their old paths answer 301.
func (s *Server) RenameUser(oldLogin, newLogin string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.mustUser(oldLogin)
	delete(s.logins, key(oldLogin))
	u.Login = newLogin
	s.logins[key(newLogin)] = u.ID
	for _, r := range s.repos {
		if key(r.owner) == key(oldLogin) {
			s.moveLocked(r, newLogin, r.name)
		}
	}
}

// AddOrg adds an organisation with members (logins) and returns its id.
func (s *Server) AddOrg(login string, members ...string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	o := &org{id: s.nextID, login: login, members: map[int64]bool{}}
	for _, m := range members {
		o.members[s.mustUser(m).ID] = true
	}
	s.orgs[key(login)] = o
	return o.id
}

// EnforceSAML makes an organisation require SAML SSO authorization of
// classic and OAuth tokens (forges.md §3.2).
func (s *Server) EnforceSAML(orgLogin string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustOrg(orgLogin).saml = true
}

// AddTeam adds a team to an organisation; members become organisation
// members too.
func (s *Server) AddTeam(orgLogin, slug string, members ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.mustOrg(orgLogin)
	s.nextID++
	t := &team{id: s.nextID, org: o, slug: slug, members: map[int64]bool{}}
	for _, m := range members {
		id := s.mustUser(m).ID
		t.members[id] = true
		o.members[id] = true
	}
	s.teams = append(s.teams, t)
}

// AddRepo adds a repository "owner/name" (the owner a user or an
// organisation) and returns its id. A repository created at a path that
// redirects ends that redirect.
func (s *Server) AddRepo(fullName string, private bool) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	owner, name := split(fullName)
	s.nextID++
	r := &repo{id: s.nextID, owner: owner, name: name, private: private, users: map[int64]Role{}, teams: map[*team]Role{}}
	s.repos[key(fullName)] = r
	delete(s.redirects, key(fullName))
	return r.id
}

// RenameRepo renames or transfers a repository; the old path answers 301
// to /repositories/{id} (forges.md §3.5).
func (s *Server) RenameRepo(oldFull, newFull string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(oldFull)
	owner, name := split(newFull)
	s.moveLocked(r, owner, name)
}

func (s *Server) moveLocked(r *repo, owner, name string) {
	old := key(r.fullName())
	delete(s.repos, old)
	r.owner, r.name = owner, name
	s.repos[key(r.fullName())] = r
	s.redirects[old] = r.id
	delete(s.redirects, key(r.fullName()))
}

// Grant gives a user a role on a repository (RoleNone removes it).
func (s *Server) Grant(fullName, login string, role Role) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(fullName)
	id := s.mustUser(login).ID
	if role == RoleNone {
		delete(r.users, id)
		return
	}
	r.users[id] = role
}

// GrantTeam gives a team ("org/slug") a role on a repository (RoleNone
// removes it).
func (s *Server) GrantTeam(fullName, orgSlash string, role Role) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(fullName)
	o, slug := split(orgSlash)
	for _, t := range s.teams {
		if key(t.org.login) == key(o) && key(t.slug) == key(slug) {
			if role == RoleNone {
				delete(r.teams, t)
			} else {
				r.teams[t] = role
			}
			return
		}
	}
	panic(fmt.Sprintf("ghtest: no team %q", orgSlash))
}

// IssueToken issues a token and returns its value, with the prefix of its
// kind (forges.md §3.1).
func (s *Server) IssueToken(t Token) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.mustUser(t.Login)
	s.tokenSeq++
	v := mintValue(t.Kind, s.tokenSeq)
	s.tokens[v] = &tokenRec{Token: t, value: v, userID: u.ID}
	return v
}

// Classic issues a classic personal access token with scopes.
func (s *Server) Classic(login string, scopes ...string) string {
	return s.IssueToken(Token{Kind: Classic, Login: login, Scopes: scopes})
}

// RevokeToken revokes a token: from now on it is answered 401.
func (s *Server) RevokeToken(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.tokens[tok]; ok {
		t.revoked = true
	}
}

func split(full string) (string, string) {
	a, b, ok := strings.Cut(full, "/")
	if !ok || a == "" || b == "" || strings.Contains(b, "/") {
		panic(fmt.Sprintf("ghtest: %q is not owner/name", full))
	}
	return a, b
}

func (s *Server) mustUser(login string) *User {
	if id, ok := s.logins[key(login)]; ok {
		return s.users[id]
	}
	panic(fmt.Sprintf("ghtest: no user %q", login))
}

func (s *Server) mustOrg(login string) *org {
	if o, ok := s.orgs[key(login)]; ok {
		return o
	}
	panic(fmt.Sprintf("ghtest: no organisation %q", login))
}

func (s *Server) mustRepo(full string) *repo {
	if r, ok := s.repos[key(full)]; ok {
		return r
	}
	panic(fmt.Sprintf("ghtest: no repository %q", full))
}
