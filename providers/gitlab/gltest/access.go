package gltest

import "strings"

// groupLevel is the user's level in group full path g: the highest of the
// direct memberships in g and its ancestors (members/all semantics; the
// same as Group#highest_group_member used for permissions.group_access).
func (s *Server) groupLevel(g string, userID int) AccessLevel {
	var best AccessLevel
	for _, a := range ancestors(g) {
		if gr := s.groups[strings.ToLower(a)]; gr != nil && gr.members[userID] > best {
			best = gr.members[userID]
		}
	}
	return best
}

// projectAccess is what /projects/:id reports (project_with_access.rb):
// the direct project membership and the namespace group's highest member
// level, each 0 when absent; shares are ignored there.
func (s *Server) projectAccess(p *project, userID int) (direct, viaGroup AccessLevel) {
	direct = p.members[userID]
	if ns := p.namespace(); ns != "" && s.groups[strings.ToLower(ns)] != nil {
		viaGroup = s.groupLevel(ns, userID)
	}
	return direct, viaGroup
}

// effectiveAccess is what members/all/:user_id reports: direct, inherited
// from the namespace's groups, and from groups the project is shared with
// (the lower of the link's level and the user's level in that group).
func (s *Server) effectiveAccess(p *project, userID int) AccessLevel {
	direct, viaGroup := s.projectAccess(p, userID)
	best := max(direct, viaGroup)
	for g, limit := range p.shares {
		if l := min(s.groupLevel(g, userID), limit); l > best {
			best = l
		}
	}
	return best
}

// canRead reports whether u may see project p (ProjectPolicy :read_project):
// admins always; members from Guest up; any signed-in non-external user for
// internal projects; everyone for public ones. u is nil for an anonymous
// request.
func (s *Server) canRead(p *project, u *User) bool {
	switch {
	case p.Visibility == "public":
		return true
	case u == nil:
		return false
	case u.Admin:
		return true
	case p.Visibility == "internal" && !u.External:
		return true
	}
	return s.effectiveAccess(p, u.ID) >= Guest
}

// groupsOf lists the groups where the user's level (inherited included) is
// at least min, as GET /groups?min_access_level does.
func (s *Server) groupsOf(userID int, minLevel AccessLevel) []*group {
	var out []*group
	for _, g := range s.groups {
		if l := s.groupLevel(g.path, userID); l >= minLevel && l > NoAccess {
			out = append(out, g)
		}
	}
	return out
}
