package ghtest

import (
	"net/http"
	"slices"
	"strconv"
)

// serveRepo answers GET /repos/{owner}/{repo} (forges.md §3.5): owner and
// name are matched case-insensitively and full_name is GitHub's spelling;
// a renamed or transferred repository's old path answers 301 to
// /repositories/{id}; a repository the caller cannot see answers 404, the
// same as a missing one; a SAML organisation the token is not authorized
// for answers 403 with X-GitHub-SSO: required.
func (s *Server) serveRepo(w http.ResponseWriter, r *http.Request, c caller, full string) {
	k := key(full)
	rp, ok := s.repos[k]
	if !ok {
		if id, moved := s.redirects[k]; moved {
			loc := s.base(r) + "/repositories/" + strconv.FormatInt(id, 10)
			w.Header().Set("Location", loc)
			writeJSON(w, http.StatusMovedPermanently, map[string]any{
				"message": "Moved Permanently", "url": loc, "documentation_url": "https://docs.github.com/v3/#http-redirects",
			})
			return
		}
		notFound(w)
		return
	}
	s.writeRepo(w, r, c, rp)
}

// serveRepoByID answers GET /repositories/{id}, where redirects point.
func (s *Server) serveRepoByID(w http.ResponseWriter, r *http.Request, c caller, id string) {
	for _, rp := range s.repos {
		if strconv.FormatInt(rp.id, 10) == id {
			s.writeRepo(w, r, c, rp)
			return
		}
	}
	notFound(w)
}

func (s *Server) writeRepo(w http.ResponseWriter, r *http.Request, c caller, rp *repo) {
	if o, isOrg := s.orgs[key(rp.owner)]; isOrg && rp.private && ssoBlocked(o, c) {
		w.Header().Set("X-Github-Sso", "required; url=https://github.com/orgs/"+o.login+"/sso?authorization_request=FAKE"+strconv.FormatInt(o.id, 10))
		writeError(w, http.StatusForbidden, "Resource protected by organization SAML enforcement. You must grant your Personal Access token access to this organization.", "https://docs.github.com/articles/authenticating-to-a-github-organization-with-saml-single-sign-on/")
		return
	}
	role := s.roleOf(c, rp)
	if rp.private && (role == RoleNone || !s.tokenReaches(c, rp)) {
		notFound(w)
		return
	}
	doc := map[string]any{
		"id": rp.id, "node_id": "R_" + strconv.FormatInt(rp.id, 36), "name": rp.name, "full_name": rp.fullName(),
		"private": rp.private, "visibility": map[bool]string{true: "private", false: "public"}[rp.private],
		"owner":    map[string]any{"login": rp.owner, "type": s.ownerType(rp.owner)},
		"html_url": "https://github.com/" + rp.fullName(), "url": s.base(r) + "/repos/" + rp.fullName(),
	}
	if c.user != nil {
		if !rp.private && !s.tokenReaches(c, rp) {
			role = RoleRead // fine-grained tokens always read public repositories (§3.3)
		}
		doc["permissions"] = permissionsDoc(role, rp.private)
	}
	writeJSON(w, http.StatusOK, doc)
}

// roleOf is the caller's highest role on rp: direct, through a team, or as
// the owning user (admin).
func (s *Server) roleOf(c caller, rp *repo) Role {
	if c.user == nil {
		return RoleNone
	}
	if key(rp.owner) == key(c.user.Login) {
		return RoleAdmin
	}
	best := rp.users[c.user.ID]
	for t, role := range rp.teams {
		if t.members[c.user.ID] && roleRank[role] > roleRank[best] {
			best = role
		}
	}
	return best
}

// tokenReaches reports whether the token may reach a private repository:
// classic and OAuth tokens need the repo scope; fine-grained tokens only
// their resource owner's selected repositories; App tokens none (the
// installation is not modelled). A password reaches everything.
func (s *Server) tokenReaches(c caller, rp *repo) bool {
	t := c.token
	if t == nil {
		return c.user != nil
	}
	switch t.Kind {
	case Classic, OAuth:
		return has(t.Scopes, "repo")
	case FineGrained:
		if key(rp.owner) != key(t.ResourceOwner) {
			return false
		}
		return t.Repositories == nil || slices.ContainsFunc(t.Repositories, func(x string) bool { return key(x) == key(rp.fullName()) })
	}
	return false
}

// permissionsDoc is the permissions object for a role (forges.md §3.5):
// every role includes the weaker ones; a public repository gives pull to
// everyone.
func permissionsDoc(role Role, private bool) map[string]bool {
	rank := roleRank[role]
	pull := rank >= roleRank[RoleRead] || !private
	return map[string]bool{
		"admin":    rank >= roleRank[RoleAdmin],
		"maintain": rank >= roleRank[RoleMaintain],
		"push":     rank >= roleRank[RoleWrite],
		"triage":   rank >= roleRank[RoleTriage],
		"pull":     pull,
	}
}

func (s *Server) ownerType(login string) string {
	if _, ok := s.orgs[key(login)]; ok {
		return "Organization"
	}
	return "User"
}

func notFound(w http.ResponseWriter) {
	writeError(w, http.StatusNotFound, "Not Found", "https://docs.github.com/rest/repos/repos#get-a-repository")
}
