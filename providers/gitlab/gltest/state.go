package gltest

import (
	"fmt"
	"strings"
	"time"
)

// AddUser adds or replaces a user (by ID).
func (s *Server) AddUser(u User) {
	if u.Name == "" {
		u.Name = u.Username
	}
	if u.Email == "" {
		u.Email = u.Username + "@example.com"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.ID] = &u
}

// SetUserState changes a user's state (StateBlocked, StateActive, ...).
func (s *Server) SetUserState(id int, state string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[id]; u != nil {
		u.State = state
	}
}

// RenameUser changes a user's username. Projects in the user's personal
// namespace move with it and keep a redirect route from their old paths,
// as GitLab's namespace rename does.
func (s *Server) RenameUser(id int, username string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[id]
	if u == nil {
		return
	}
	old := u.Username
	u.Username = username
	for _, p := range s.projects {
		if p.namespace() == old {
			s.redirects[strings.ToLower(p.Path)] = p.ID
			p.Path = username + "/" + p.name()
		}
	}
}

// AddPAT creates an active personal access token for userID with scopes,
// expiring in a year, and returns its secret (glpat-…).
func (s *Server) AddPAT(userID int, scopes ...string) string {
	now := s.opts.Now().UTC()
	exp := time.Date(now.Year()+1, now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	return s.AddToken(Token{Kind: PersonalAccessToken, UserID: userID, Scopes: scopes, ExpiresAt: exp})
}

// AddOAuthToken creates an OAuth access token for userID with scopes,
// valid for two hours (GitLab's lifetime), and returns its secret.
func (s *Server) AddOAuthToken(userID int, scopes ...string) string {
	return s.AddToken(Token{Kind: OAuthToken, UserID: userID, Scopes: scopes, ExpiresAt: s.opts.Now().Add(2 * time.Hour)})
}

// AddToken adds t (generating Value when empty) and returns its secret.
func (s *Server) AddToken(t Token) string {
	if t.Value == "" {
		if t.Kind == PersonalAccessToken {
			t.Value = randomToken("glpat-", 20)
		} else {
			t.Value = randomToken("", 64)
		}
	}
	if t.Name == "" {
		t.Name = "regbridge"
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = s.opts.Now()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[t.Value] = &t
	return t.Value
}

// RevokeToken revokes a token: GitLab then answers 401 "Token was revoked".
func (s *Server) RevokeToken(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.tokens[tok]; t != nil {
		t.Revoked = true
	}
}

// ExpireToken moves a token's expiry to the fake's now.
func (s *Server) ExpireToken(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.tokens[tok]; t != nil {
		t.ExpiresAt = s.opts.Now()
	}
}

// AddGroup creates the group with this full path and its missing ancestors.
func (s *Server) AddGroup(fullPath string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addGroupLocked(fullPath)
}

func (s *Server) addGroupLocked(fullPath string) *group {
	segs := strings.Split(fullPath, "/")
	var g *group
	for i := range segs {
		p := strings.Join(segs[:i+1], "/")
		if g = s.groups[strings.ToLower(p)]; g == nil {
			s.nextID++
			g = &group{id: s.nextID, path: p, members: map[int]AccessLevel{}}
			s.groups[strings.ToLower(p)] = g
		}
	}
	return g
}

// AddGroupMember gives userID a direct membership of level in the group
// (created if absent). Subgroups and their projects inherit it.
func (s *Server) AddGroupMember(fullPath string, userID int, level AccessLevel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addGroupLocked(fullPath).members[userID] = level
}

// RemoveGroupMember removes a direct group membership.
func (s *Server) RemoveGroupMember(fullPath string, userID int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.groups[strings.ToLower(fullPath)]; g != nil {
		delete(g.members, userID)
	}
}

// AddProject creates a project and returns its id. A namespace that is not
// a user's username is a group, created if absent.
func (s *Server) AddProject(p Project) int {
	if p.Visibility == "" {
		p.Visibility = "private"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.ID == 0 {
		s.nextID++
		p.ID = s.nextID
	}
	pr := &project{Project: p, members: map[int]AccessLevel{}, shares: map[string]AccessLevel{}}
	if ns := pr.namespace(); ns != "" && s.userByName(ns) == nil {
		s.addGroupLocked(ns)
	}
	s.projects[p.ID] = pr
	return p.ID
}

// AddProjectMember gives userID a direct membership of level in the project
// at path (its current path).
func (s *Server) AddProjectMember(path string, userID int, level AccessLevel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.projectByPath(path); p != nil {
		p.members[userID] = level
	}
}

// ShareProjectWithGroup invites a group into the project with a maximum
// level (project-group link). /projects/:id reports neither project_access
// nor group_access for access gained this way (gitlab-org/gitlab#3754); the
// members/all endpoint counts it.
func (s *Server) ShareProjectWithGroup(path, groupPath string, level AccessLevel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.projectByPath(path); p != nil {
		s.addGroupLocked(groupPath)
		p.shares[strings.ToLower(groupPath)] = level
	}
}

// MoveProject renames or transfers a project, keeping a redirect route from
// the old path (GitLab's RedirectRoute).
func (s *Server) MoveProject(oldPath, newPath string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.projectByPath(oldPath)
	if p == nil {
		return fmt.Errorf("gltest: no project %q", oldPath)
	}
	s.redirects[strings.ToLower(p.Path)] = p.ID
	p.Path = newPath
	if ns := p.namespace(); ns != "" && s.userByName(ns) == nil {
		s.addGroupLocked(ns)
	}
	return nil
}

func (s *Server) userByName(name string) *User {
	for _, u := range s.users {
		if strings.EqualFold(u.Username, name) {
			return u
		}
	}
	return nil
}

// projectByPath finds a project by its current path: an exact match first,
// then a case-insensitive one (routable.rb find_by_full_path).
func (s *Server) projectByPath(path string) *project {
	var folded *project
	for _, p := range s.projects {
		if p.Path == path {
			return p
		}
		if strings.EqualFold(p.Path, path) {
			folded = p
		}
	}
	return folded
}
