package gltest

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

var integerID = regexp.MustCompile(`^[0-9]+$`)

// findProject is lib/api/helpers.rb find_project: a numeric id, else a full
// path (exact, then case-insensitive), else a redirect route of a moved
// project. moved reports a match through a redirect route.
func (s *Server) findProject(id string) (p *project, moved bool) {
	if integerID.MatchString(id) {
		n, _ := strconv.Atoi(id)
		return s.projects[n], false
	}
	if p := s.projectByPath(id); p != nil {
		return p, false
	}
	if pid, ok := s.redirects[strings.ToLower(id)]; ok {
		return s.projects[pid], true
	}
	return nil, false
}

// visibleProject is find_project!: 404 "Project Not Found" for a project
// that does not exist or that the user cannot read; for a moved project the
// user can read, 301 to /api/v4/projects/:id (GitLab 16.7+) or, with
// LegacyRedirects, the project itself.
func (s *Server) visibleProject(w http.ResponseWriter, r *http.Request, id string, u *User) *project {
	p, moved := s.findProject(id)
	if p == nil || !s.canRead(p, u) {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Project Not Found"})
		return nil
	}
	if moved && !s.opts.LegacyRedirects {
		to := "http://" + r.Host + "/api/v4/projects/" + strconv.Itoa(p.ID)
		w.Header().Set("Location", to)
		writeJSON(w, http.StatusMovedPermanently, map[string]string{"message": "This resource has been moved permanently to " + to})
		return nil
	}
	return p
}

func (s *Server) serveProject(w http.ResponseWriter, r *http.Request, id string) {
	u, _, ok := s.authenticate(w, r, scopesAPI, true)
	if !ok {
		return
	}
	p := s.visibleProject(w, r, id, u)
	if p == nil {
		return
	}
	ns := p.namespace()
	kind := "user"
	nsID := 0
	if g := s.groups[strings.ToLower(ns)]; g != nil {
		kind, nsID = "group", g.id
	} else if owner := s.userByName(ns); owner != nil {
		nsID = owner.ID
	}
	m := map[string]any{
		"id": p.ID, "description": "", "name": p.name(), "path": p.name(),
		"name_with_namespace": strings.ReplaceAll(p.Path, "/", " / "), "path_with_namespace": p.Path,
		"visibility": p.Visibility, "archived": p.Archived, "default_branch": "main",
		"web_url": s.URL + "/" + p.Path, "container_registry_enabled": true,
		"namespace": map[string]any{"id": nsID, "name": ns[strings.LastIndex(ns, "/")+1:], "path": ns[strings.LastIndex(ns, "/")+1:], "kind": kind, "full_path": ns},
	}
	if u != nil {
		direct, viaGroup := s.projectAccess(p, u.ID)
		m["permissions"] = map[string]any{"project_access": accessEntity(direct), "group_access": accessEntity(viaGroup)}
	}
	writeJSON(w, http.StatusOK, m)
}

// accessEntity is ProjectAccess/GroupAccess: null without a membership.
func accessEntity(l AccessLevel) any {
	if l == NoAccess {
		return nil
	}
	return map[string]any{"access_level": int(l), "notification_level": 3}
}

// serveMember is GET /projects/:id/members/all/:user_id: the user's
// effective membership (direct, inherited and through invited groups), or
// 404 "Not found" (ActiveRecord::RecordNotFound as lib/api/api.rb renders
// it) when there is none.
func (s *Server) serveMember(w http.ResponseWriter, r *http.Request, id, userID string) {
	u, _, ok := s.authenticate(w, r, scopesAPI, true)
	if !ok {
		return
	}
	p := s.visibleProject(w, r, id, u)
	if p == nil {
		return
	}
	n, err := strconv.Atoi(userID)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "user_id is invalid"})
		return
	}
	m := s.users[n]
	level := NoAccess
	if m != nil {
		level = s.effectiveAccess(p, n)
	}
	if level == NoAccess {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Not found"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": m.ID, "username": m.Username, "name": m.Name, "state": m.state(), "avatar_url": nil,
		"web_url": s.URL + "/" + m.Username, "access_level": int(level), "created_at": "2024-01-02T03:04:05.000Z",
		"expires_at": nil, "membership_state": "active",
	})
}
