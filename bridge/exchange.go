package bridge

import (
	"net/http"

	"github.com/regbridge/regbridge/acl"
	"github.com/regbridge/regbridge/providers"
)

// RFC 8693 token type identifiers.
const (
	TokenTypeAccessToken = "urn:ietf:params:oauth:token-type:access_token"
	TokenTypeIDToken     = "urn:ietf:params:oauth:token-type:id_token"
	TokenTypeJWT         = "urn:ietf:params:oauth:token-type:jwt"
)

// serveExchange is the RFC 8693 token exchange endpoint: a subject token
// (an OAuth access token or an OIDC ID token) is exchanged for a registry
// token, for clients that do not speak the docker token flow.
func (s *Server) serveExchange(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	s.serveIssue(w, r, "exchange", SpanExchange, parseExchange, func(resp *tokenResponse, out *issued) {
		resp.Scope = scopeString(out.granted)
		resp.IssuedTokenType = TokenTypeJWT
		resp.TokenType = "Bearer"
	})
}

// parseExchange reads an RFC 8693 request. The registry service is named by
// `audience` or `resource` (or `service`); scopes are registry scopes.
func parseExchange(r *http.Request, lim Limits) (*TokenRequest, error) {
	params, err := readForm(r, lim.MaxBodyBytes, nil)
	if err != nil {
		return nil, err
	}
	grant, err := single(params, "grant_type")
	if err != nil {
		return nil, err
	}
	if grant != GrantTokenExchange {
		return nil, &RequestError{Status: http.StatusBadRequest, OAuth: "unsupported_grant_type",
			Message: "grant_type must be " + GrantTokenExchange}
	}
	req := &TokenRequest{Method: r.Method, GrantType: grant}
	for _, k := range []string{"audience", "resource", "service"} {
		v, err := single(params, k)
		if err != nil {
			return nil, err
		}
		if v == "" {
			continue
		}
		if req.Service != "" && req.Service != v {
			return nil, badRequest("audience, resource and service name different services")
		}
		req.Service = v
	}
	if req.ClientID, err = single(params, "client_id"); err != nil {
		return nil, err
	}
	if req.Scopes, err = acl.ParseScopes(params.values("scope")); err != nil {
		return nil, badRequest("%v", err)
	}
	tok, err := single(params, "subject_token")
	if err != nil {
		return nil, err
	}
	typ, err := single(params, "subject_token_type")
	if err != nil {
		return nil, err
	}
	if tok == "" || typ == "" {
		return nil, badRequest("subject_token and subject_token_type are required")
	}
	switch typ {
	case TokenTypeAccessToken, TokenTypeIDToken, TokenTypeJWT:
	default:
		return nil, badRequest("subject_token_type %q is not supported (use access_token, id_token or jwt)", typ)
	}
	if len(tok) > lim.MaxCredentialBytes {
		return nil, badRequest("subject_token longer than %d bytes", lim.MaxCredentialBytes)
	}
	if at, _ := single(params, "actor_token"); at != "" {
		return nil, badRequest("actor_token (delegation) is not supported")
	}
	req.Credential = providers.Credential{Scheme: providers.SchemeExchange, Secret: providers.Secret(tok), TokenType: typ}
	return req, nil
}
