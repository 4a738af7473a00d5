package ghtest

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

func (s *Server) base(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + s.prefix
}

// serveUser answers GET /user (forges.md §3.2): 401 without a credential,
// else the user, with suspended_at in Enterprise mode or when suspended.
func (s *Server) serveUser(w http.ResponseWriter, c caller) {
	if c.user == nil {
		writeError(w, http.StatusUnauthorized, "Requires authentication", "https://docs.github.com/rest/users/users#get-the-authenticated-user")
		return
	}
	u := c.user
	doc := map[string]any{
		"login": u.Login, "id": u.ID, "node_id": "U_" + strconv.FormatInt(u.ID, 36),
		"avatar_url": "https://avatars.githubusercontent.com/u/" + strconv.FormatInt(u.ID, 10),
		"type":       u.Type, "site_admin": u.SiteAdmin, "name": nil, "email": nil,
		"two_factor_authentication": true, "created_at": "2020-01-01T00:00:00Z",
	}
	if !u.SuspendedAt.IsZero() {
		doc["suspended_at"] = u.SuspendedAt.UTC().Format(time.RFC3339)
	} else if s.opts.Enterprise {
		doc["suspended_at"] = nil
	}
	writeJSON(w, http.StatusOK, doc)
}

// classicNeeds reports whether a classic or OAuth token lacks all of the
// scopes an endpoint accepts, and answers 403 with X-Accepted-OAuth-Scopes
// then (forges.md §3.3, §5.1).
func classicNeeds(w http.ResponseWriter, c caller, accepted ...string) bool {
	if c.token == nil || c.token.Kind != Classic && c.token.Kind != OAuth || has(c.token.Scopes, accepted...) {
		return false
	}
	w.Header().Set("X-Accepted-Oauth-Scopes", strings.Join(accepted, ", "))
	writeError(w, http.StatusForbidden, "Resource not accessible by personal access token", "https://docs.github.com/rest")
	return true
}

// ssoBlocked reports whether o enforces SAML and c's classic or OAuth token
// is not authorized for it (forges.md §3.2).
func ssoBlocked(o *org, c caller) bool {
	if !o.saml || c.token == nil || c.token.Kind != Classic && c.token.Kind != OAuth {
		return false
	}
	return !slices.ContainsFunc(c.token.SSOAuthorized, func(a string) bool { return key(a) == key(o.login) })
}

// serveOrgs answers GET /user/orgs (forges.md §3.4): classic and OAuth
// tokens need user or read:org; fine-grained and App tokens get [].
// SAML organisations the token is not authorized for are left out and
// named in X-GitHub-SSO: partial-results.
func (s *Server) serveOrgs(w http.ResponseWriter, r *http.Request, c caller) {
	if c.user == nil {
		writeError(w, http.StatusUnauthorized, "Requires authentication", "https://docs.github.com/rest/orgs/orgs#list-organizations-for-the-authenticated-user")
		return
	}
	if classicNeeds(w, c, "user", "read:org") {
		return
	}
	var items []any
	var hidden []string
	if c.token == nil || c.token.Kind == Classic || c.token.Kind == OAuth {
		for _, o := range s.sortedOrgs() {
			if !o.members[c.user.ID] {
				continue
			}
			if ssoBlocked(o, c) {
				hidden = append(hidden, strconv.FormatInt(o.id, 10))
				continue
			}
			items = append(items, orgDoc(o))
		}
	}
	if len(hidden) > 0 {
		w.Header().Set("X-Github-Sso", "partial-results; organizations="+strings.Join(hidden, ","))
	}
	s.writePage(w, r, items)
}

// serveTeams answers GET /user/teams (forges.md §3.4): classic and OAuth
// tokens need user, repo or read:org; a fine-grained token sees the teams
// of its resource owner only; App tokens get [].
func (s *Server) serveTeams(w http.ResponseWriter, r *http.Request, c caller) {
	if c.user == nil {
		writeError(w, http.StatusUnauthorized, "Requires authentication", "https://docs.github.com/rest/teams/teams#list-teams-for-the-authenticated-user")
		return
	}
	if classicNeeds(w, c, "user", "repo", "read:org") {
		return
	}
	var items []any
	var hidden []string
	for _, t := range s.teams {
		if !t.members[c.user.ID] {
			continue
		}
		if c.token != nil {
			switch c.token.Kind {
			case FineGrained:
				if key(t.org.login) != key(c.token.ResourceOwner) {
					continue
				}
			case AppUser:
				continue
			}
		}
		if ssoBlocked(t.org, c) {
			hidden = append(hidden, strconv.FormatInt(t.org.id, 10))
			continue
		}
		items = append(items, map[string]any{
			"id": t.id, "node_id": "T_" + strconv.FormatInt(t.id, 36), "name": t.slug, "slug": t.slug,
			"description": nil, "privacy": "closed", "permission": "pull", "parent": nil,
			"organization": orgDoc(t.org),
		})
	}
	if len(hidden) > 0 {
		slices.Sort(hidden)
		w.Header().Set("X-Github-Sso", "partial-results; organizations="+strings.Join(slices.Compact(hidden), ","))
	}
	s.writePage(w, r, items)
}

func orgDoc(o *org) map[string]any {
	return map[string]any{
		"login": o.login, "id": o.id, "node_id": "O_" + strconv.FormatInt(o.id, 36),
		"url": "https://api.github.com/orgs/" + o.login, "description": nil,
	}
}

func (s *Server) sortedOrgs() []*org {
	out := make([]*org, 0, len(s.orgs))
	for _, o := range s.orgs {
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b *org) int { return int(a.id - b.id) })
	return out
}

// writePage answers one page of items: per_page (default 30, at most 100)
// and page (from 1), with a Link header of absolute URLs for next, last,
// first and prev as they apply (forges.md §3.4).
func (s *Server) writePage(w http.ResponseWriter, r *http.Request, items []any) {
	q := r.URL.Query()
	per, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || per < 1 {
		per = 30
	}
	per = min(per, 100)
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page < 1 {
		page = 1
	}
	last := max(1, (len(items)+per-1)/per)
	link := func(p int, rel string) string {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("page", strconv.Itoa(p))
		v.Set("per_page", strconv.Itoa(per))
		return "<" + s.base(r) + r.URL.Path[len(s.prefix):] + "?" + v.Encode() + `>; rel="` + rel + `"`
	}
	var links []string
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"), link(page-1, "prev"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	lo := min((page-1)*per, len(items))
	hi := min(lo+per, len(items))
	out := items[lo:hi]
	if out == nil {
		out = []any{}
	}
	writeJSON(w, http.StatusOK, out)
}
