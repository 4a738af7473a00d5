package bridge

import (
	"net/http"
	"time"

	"github.com/regbridge/regbridge/acl"
	"github.com/regbridge/regbridge/providers"
)

// WhoamiPath answers, for the credential a token request would carry, the
// identity the policy sees and the rules that apply to it.
const WhoamiPath = "/whoami"

// whoamiProbe is the scope Explain is asked about: whether a rule applies
// (who, services, when) does not depend on the repository, only whether
// its items match does, and that is not reported.
var whoamiProbe = acl.Scope{Type: "repository", Name: "regbridge-whoami", Actions: []string{"pull"}}

// whoamiResponse is the body of GET /whoami.
type whoamiResponse struct {
	Service   string `json:"service"`
	Anonymous bool   `json:"anonymous"`
	// The identity as the policy sees it; empty for anonymous callers.
	Provider   string         `json:"provider,omitempty"`
	Subject    string         `json:"subject,omitempty"`
	Username   string         `json:"username,omitempty"`
	Groups     []string       `json:"groups,omitempty"`
	Grants     []string       `json:"grants,omitempty"`
	Claims     map[string]any `json:"claims,omitempty"`
	MaxActions []string       `json:"max_actions,omitempty"`
	Expiry     string         `json:"expires_at,omitempty"`
	// Rules are the ids of the policy rules whose who, services and when
	// hold for this identity (allow and deny): the rules that decide what
	// it may pull and push, by repository pattern. Not shown to anonymous
	// callers.
	Rules     []string `json:"rules,omitempty"`
	RequestID string   `json:"request_id"`
}

// serveWhoami authenticates r exactly as a token request (GET, the same
// service and account parameters and credentials) and answers with the
// identity and the rules that apply to it. It mints nothing. A refused
// credential is answered and recorded as a token request's would be.
func (s *Server) serveWhoami(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.NotFound(w, r)
		return
	}
	ev := Event{Time: s.opts.Now(), RequestID: s.requestID(), ClientAddr: r.RemoteAddr, Endpoint: "whoami"}
	req, err := ParseTokenRequest(r, s.opts.Limits)
	if err != nil {
		s.fail(w, r, &ev, err)
		return
	}
	req.Scopes = nil
	st := s.State()
	svc, err := st.service(req.Service)
	if err != nil {
		s.fail(w, r, &ev, err)
		return
	}
	ev.Service = svc.Name
	id, err := s.authenticate(r.Context(), st, r, req, &ev)
	if err != nil {
		s.fail(w, r, &ev, err)
		return
	}
	writeJSON(w, http.StatusOK, whoami(st, svc.Name, ev, id))
}

// whoami is the answer for id on service.
func whoami(st *State, service string, ev Event, id providers.Identity) whoamiResponse {
	resp := whoamiResponse{Service: service, Anonymous: id.Anonymous, RequestID: ev.RequestID}
	if id.Anonymous {
		return resp
	}
	if id.Provider == "" {
		id.Provider = ev.Provider
	}
	resp.Provider, resp.Subject, resp.Username = id.Provider, id.Subject, id.Username
	resp.Groups, resp.Grants, resp.Claims, resp.MaxActions = id.Groups, id.Grants, id.Claims, id.MaxActions
	if !id.Expiry.IsZero() {
		resp.Expiry = id.Expiry.UTC().Format(time.RFC3339)
	}
	ex := st.policy.Explain(id, service, []acl.Scope{whoamiProbe})
	for _, se := range ex.Scopes {
		for _, re := range se.Rules {
			if re.Applies {
				resp.Rules = append(resp.Rules, re.Rule)
			}
		}
	}
	return resp
}
