package gltest

import (
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// route names the endpoint of an escaped path and returns its parameters
// (unescaped), or "" for a path the fake does not serve.
func route(escaped string) (endpoint string, params []string) {
	if escaped == "/oauth/token/info" {
		return EndpointTokenInfo, nil
	}
	rest, ok := strings.CutPrefix(escaped, "/api/v4/")
	if !ok {
		return "", nil
	}
	segs := strings.Split(rest, "/")
	for i, s := range segs {
		u, err := url.PathUnescape(s)
		if err != nil {
			return "", nil
		}
		segs[i] = u
	}
	switch {
	case len(segs) == 1 && segs[0] == "user":
		return EndpointUser, nil
	case len(segs) == 2 && segs[0] == "personal_access_tokens" && segs[1] == "self":
		return EndpointTokenSelf, nil
	case len(segs) == 1 && segs[0] == "groups":
		return EndpointGroups, nil
	case len(segs) == 2 && segs[0] == "projects":
		return EndpointProject, segs[1:]
	case len(segs) == 5 && segs[0] == "projects" && segs[2] == "members" && segs[3] == "all":
		return EndpointMember, []string{segs[1], segs[4]}
	}
	return "", nil
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	escaped := r.URL.EscapedPath()
	endpoint, params := route(escaped)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		endpoint = ""
	}
	var hash string
	if tok := presented(r); tok != "" {
		hash = tokenHash(tok)
	}
	s.log.Add(Request{
		Method: r.Method, Path: escaped, Endpoint: endpoint, Header: r.Header.Clone(), TokenHash: hash, Host: r.Host,
	})
	s.mu.Lock()
	fault := s.fault
	s.mu.Unlock()
	if s.serveFault(w, r, fault) {
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	key, authed := s.throttleKey(r)
	if s.throttle(w, key, authed) {
		return
	}
	switch {
	case strings.HasPrefix(escaped, "/api/v3/"):
		writeJSON(w, http.StatusGone, map[string]string{"error": "API V3 is no longer supported. Use API V4 instead."})
	case endpoint == EndpointUser:
		if u, _, ok := s.authenticate(w, r, scopesUser, false); ok {
			writeJSON(w, http.StatusOK, userEntity(u, s.URL))
		}
	case endpoint == EndpointTokenSelf:
		s.serveTokenSelf(w, r)
	case endpoint == EndpointTokenInfo:
		s.serveTokenInfo(w, r)
	case endpoint == EndpointGroups:
		s.serveGroups(w, r)
	case endpoint == EndpointProject:
		s.serveProject(w, r, params[0])
	case endpoint == EndpointMember:
		s.serveMember(w, r, params[0], params[1])
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "404 Not Found"})
	}
}

// throttleKey is Rack::Attack's discriminator: the user of a valid token,
// else the client IP.
func (s *Server) throttleKey(r *http.Request) (string, bool) {
	if t, _ := s.lookup(r); t != nil && !t.Revoked {
		return "user:" + strconv.Itoa(t.UserID), true
	}
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	return "ip:" + host, false
}

func userEntity(u *User, base string) map[string]any {
	m := map[string]any{
		"id": u.ID, "username": u.Username, "name": u.Name, "state": u.state(), "locked": false,
		"avatar_url": nil, "web_url": base + "/" + u.Username, "created_at": "2024-01-02T03:04:05.000Z",
		"bio": "", "email": u.Email, "commit_email": u.Email, "confirmed_at": "2024-01-02T03:04:05.000Z",
		"last_sign_in_at": nil, "two_factor_enabled": false, "external": u.External,
		"private_profile": false, "bot": u.Bot, "identities": []any{},
	}
	if u.Admin {
		m["is_admin"] = true
	}
	return m
}

func (s *Server) serveGroups(w http.ResponseWriter, r *http.Request) {
	u, _, ok := s.authenticate(w, r, scopesAPI, true)
	if !ok {
		return
	}
	var list []*group
	if u != nil {
		minLevel := AccessLevel(0)
		if v := r.URL.Query().Get("min_access_level"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": "min_access_level is invalid"})
				return
			}
			minLevel = AccessLevel(n)
		}
		list = s.groupsOf(u.ID, minLevel)
		if u.Admin && minLevel == 0 && r.URL.Query().Get("all_available") != "false" {
			list = list[:0]
			for _, g := range s.groups {
				list = append(list, g)
			}
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].path < list[j].path })
	items := make([]any, len(list))
	for i, g := range list {
		items[i] = s.groupEntity(g)
	}
	paginate(w, r, items)
}

func (s *Server) groupEntity(g *group) map[string]any {
	var parent any
	if i := strings.LastIndex(g.path, "/"); i >= 0 {
		parent = s.groups[strings.ToLower(g.path[:i])].id
	}
	name := g.path[strings.LastIndex(g.path, "/")+1:]
	return map[string]any{
		"id": g.id, "web_url": s.URL + "/groups/" + g.path, "name": name, "path": name,
		"description": "", "visibility": "private", "full_name": strings.ReplaceAll(g.path, "/", " / "),
		"full_path": g.path, "parent_id": parent, "created_at": "2024-01-02T03:04:05.000Z",
	}
}
