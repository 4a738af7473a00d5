package bridge

import (
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/regbridge/regbridge/acl"
	"github.com/regbridge/regbridge/providers"
)

// Catalog and search paths, and the header a front proxy sets to name the
// service when several serve a catalog.
const (
	CatalogPath   = "/v2/_catalog"
	SearchPath    = "/v1/search"
	ServiceHeader = "X-Regbridge-Service"
)

// decideBatch is how many repositories one policy decision covers.
const decideBatch = 512

// catalogResponse is distribution's catalog body.
type catalogResponse struct {
	Repositories []string `json:"repositories"`
}

// searchResponse is the body docker's search client reads (the v1 registry
// search API).
type searchResponse struct {
	NumPages   int            `json:"num_pages"`
	NumResults int            `json:"num_results"`
	Page       int            `json:"page"`
	PageSize   int            `json:"page_size"`
	Query      string         `json:"query"`
	Results    []searchResult `json:"results"`
}

type searchResult struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	StarCount   int    `json:"star_count"`
	IsOfficial  bool   `json:"is_official"`
	IsAutomated bool   `json:"is_automated"`
}

// serveCatalog answers `GET /v2/_catalog` with the names the caller may
// pull, paged with `n` and `last` and a `Link` header as distribution pages.
func (s *Server) serveCatalog(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		registryError(w, http.StatusMethodNotAllowed, "UNSUPPORTED", "use GET")
		return
	}
	q, err := ParseCatalogQuery(r.URL.RawQuery)
	if err != nil {
		s.catalogFail(r.Context(), w, nil, "", err)
		return
	}
	visible, ok := s.visibleNames(w, r, "registry:catalog:*")
	if !ok {
		return
	}
	page, more := catalogPage(visible, q)
	w.Header().Set("Docker-Distribution-Api-Version", "registry/2.0")
	if more {
		w.Header().Set("Link", catalogLink(r.URL.Path, q.N, page[len(page)-1]))
	}
	writeJSON(w, http.StatusOK, catalogResponse{Repositories: page})
}

// serveSearch answers `GET /v1/search` with the names the caller may pull
// that contain `q`, in docker's search response shape.
func (s *Server) serveSearch(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		registryError(w, http.StatusMethodNotAllowed, "UNSUPPORTED", "use GET")
		return
	}
	q, err := ParseSearchQuery(r.URL.RawQuery)
	if err != nil {
		s.catalogFail(r.Context(), w, nil, "", err)
		return
	}
	// The challenge names the catalog scope: the realm refuses docker's
	// registry:catalog:search, and a catalog token serves search too.
	visible, ok := s.visibleNames(w, r, "registry:catalog:*")
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, searchPage(visible, q))
}

// visibleNames authenticates the caller, reads the registry's catalog and
// keeps the names the policy lets this caller pull. It writes the error
// response itself when it returns false.
func (s *Server) visibleNames(w http.ResponseWriter, r *http.Request, challengeScope string) ([]string, bool) {
	st := s.State()
	svc, err := catalogService(st, r.Header.Get(ServiceHeader))
	if err != nil {
		s.catalogFail(r.Context(), w, nil, "", err)
		return nil, false
	}
	// The credential is checked before the registry is read: a bad one is
	// refused whatever the registry's state.
	caller, err := s.catalogAuthenticate(r.Context(), st, r, svc, nil)
	if err != nil {
		s.catalogFail(r.Context(), w, svc, challengeScope, err)
		return nil, false
	}
	names, err := s.catalog.names(r.Context(), svc)
	if err != nil {
		s.catalogFail(r.Context(), w, svc, challengeScope, err)
		return nil, false
	}
	scopes := pullScopes(names)
	if !caller.token && caller.cred.Scheme != providers.SchemeNone &&
		len(st.policy.ForgeRepositories(caller.id, svc.Name, scopes)) > 0 {
		// Forge-mirrored grants need the forge's answers for these names.
		if caller, err = s.catalogAuthenticate(r.Context(), st, r, svc, scopes); err != nil {
			s.catalogFail(r.Context(), w, svc, challengeScope, err)
			return nil, false
		}
	}
	return pullable(st.policy, caller.id, svc.Name, scopes), true
}

// catalogService picks the service a catalog request is for: the one named
// by the front proxy's header, or the only service with a registry_url.
func catalogService(st *State, name string) (*serviceState, error) {
	if name != "" {
		svc, ok := st.services[name]
		if !ok || svc.RegistryURL == "" {
			return nil, errNoCatalog
		}
		return svc, nil
	}
	var only *serviceState
	for _, svc := range st.services {
		if svc.RegistryURL == "" {
			continue
		}
		if only != nil {
			return nil, badRequest("several services serve a catalog: the front proxy must name one in %s", ServiceHeader)
		}
		only = svc
	}
	if only == nil {
		return nil, errNoCatalog
	}
	return only, nil
}

var errNoCatalog = errors.New("bridge: catalog: no service with a registry_url serves this catalog")

func pullScopes(names []string) []acl.Scope {
	out := make([]acl.Scope, len(names))
	for i, n := range names {
		out[i] = acl.Scope{Type: "repository", Name: n, Actions: []string{"pull"}}
	}
	return out
}

// pullable keeps, in order, the names of scopes the policy grants pull on,
// deciding in batches with the code that decides token requests.
func pullable(p *acl.Policy, id providers.Identity, service string, scopes []acl.Scope) []string {
	out := make([]string, 0, len(scopes))
	for start := 0; start < len(scopes); start += decideBatch {
		batch := scopes[start:min(start+decideBatch, len(scopes))]
		dec := p.Decide(id, service, batch)
		for _, g := range dec.Granted {
			if g.Type == "repository" && hasAction(g.Actions, "pull") {
				out = append(out, g.Name)
			}
		}
	}
	return out
}

func hasAction(actions []string, want string) bool {
	for _, a := range actions {
		if a == want || a == "*" {
			return true
		}
	}
	return false
}

// catalogPage is the page of visible (sorted as distribution sorts) after
// q.Last, and whether distribution would link a next page: it does when the
// page is full.
func catalogPage(visible []string, q CatalogQuery) ([]string, bool) {
	if q.N == 0 {
		return []string{}, false
	}
	start := 0
	if q.Last != "" {
		start = sort.Search(len(visible), func(i int) bool { return comparePath(visible[i], q.Last) > 0 })
	}
	end := min(start+q.N, len(visible))
	page := append([]string{}, visible[start:end]...)
	return page, len(page) == q.N
}

// catalogLink is distribution's next-page link: the request path with only
// `n` and `last`.
func catalogLink(path string, n int, last string) string {
	v := url.Values{}
	v.Add("n", strconv.Itoa(n))
	v.Add("last", last)
	u := url.URL{Path: path, RawQuery: v.Encode()}
	return "<" + u.String() + `>; rel="next"`
}

// searchPage is one page of the visible names containing q.Q.
func searchPage(visible []string, q SearchQuery) searchResponse {
	var hits []string
	sub := strings.ToLower(q.Q)
	for _, n := range visible {
		if strings.Contains(n, sub) {
			hits = append(hits, n)
		}
	}
	resp := searchResponse{NumResults: len(hits), Page: q.Page, PageSize: q.N, Query: q.Q,
		NumPages: (len(hits) + q.N - 1) / q.N, Results: []searchResult{}}
	if q.Page-1 < resp.NumPages {
		start := (q.Page - 1) * q.N
		for _, n := range hits[start:min(start+q.N, len(hits))] {
			resp.Results = append(resp.Results, searchResult{Name: n})
		}
	}
	return resp
}
