package gltest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// Token error descriptions (lib/api/api_guard.rb; shared/reference/forges.md
// §4.2).
const (
	descExpired = "Token is expired. You can either do re-authorization or token refresh."
	descRevoked = "Token was revoked. You have to re-authorize from the user."
	descScope   = "The request requires higher privileges than provided by the access token."
)

// Scopes each endpoint accepts for GET (lib/api/api.rb: `api`, and
// `read_api` for GET/HEAD, on every endpoint; lib/api/users.rb adds
// `read_user`; personal_access_tokens/self_information.rb allows every
// scope).
var (
	scopesAPI  = []string{"api", "read_api"}
	scopesUser = []string{"api", "read_api", "read_user"}
)

// bearer returns the token of an `Authorization: Bearer` header (scheme
// case-insensitive), or "".
func bearer(r *http.Request) string {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

// presented returns the raw token a request carries, in GitLab's order
// (auth_finders.rb): private_token parameter, PRIVATE-TOKEN header,
// Authorization: Bearer, access_token parameter.
func presented(r *http.Request) string {
	for _, v := range []string{r.URL.Query().Get("private_token"), r.Header.Get("Private-Token"), bearer(r), r.URL.Query().Get("access_token")} {
		if v != "" {
			return v
		}
	}
	return ""
}

// lookup finds the token a request carries the way auth_finders.rb does: a
// PAT from private_token, PRIVATE-TOKEN or Bearer; an OAuth token from
// Bearer or access_token only (an OAuth token in PRIVATE-TOKEN is unknown).
func (s *Server) lookup(r *http.Request) (tok *Token, present bool) {
	q := r.URL.Query()
	patRaw := q.Get("private_token")
	if patRaw == "" {
		patRaw = r.Header.Get("Private-Token")
	}
	if patRaw == "" {
		patRaw = bearer(r)
	}
	oauthRaw := bearer(r)
	if oauthRaw == "" {
		oauthRaw = q.Get("access_token")
	}
	if patRaw == "" && oauthRaw == "" {
		return nil, false
	}
	if t := s.tokens[patRaw]; t != nil && t.Kind == PersonalAccessToken {
		return t, true
	}
	if t := s.tokens[oauthRaw]; t != nil && t.Kind == OAuthToken {
		return t, true
	}
	return nil, true
}

// authenticate runs api_guard for one endpoint: unknown token → 401,
// expired, then revoked → 401 invalid_token, missing scope → 403
// insufficient_scope, then find_current_user!'s account checks → 403. It
// returns the user (nil for an anonymous request when anonymous is allowed)
// and the token, or writes the refusal and returns ok false.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, scopes []string, anonymous bool) (u *User, t *Token, ok bool) {
	t, present := s.lookup(r)
	switch {
	case !present && anonymous:
		return nil, nil, true
	case t == nil:
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "401 Unauthorized"})
		return nil, nil, false
	case !t.ExpiresAt.IsZero() && !s.opts.Now().Before(t.ExpiresAt):
		invalidToken(w, descExpired)
		return nil, nil, false
	case t.Revoked:
		invalidToken(w, descRevoked)
		return nil, nil, false
	case scopes != nil && !slices.ContainsFunc(t.Scopes, func(sc string) bool { return slices.Contains(scopes, sc) }):
		// No WWW-Authenticate here: a FIXME in api_guard.rb.
		writeJSON(w, http.StatusForbidden, map[string]string{
			"error": "insufficient_scope", "error_description": descScope, "scope": strings.Join(scopes, " "),
		})
		return nil, nil, false
	}
	u = s.users[t.UserID]
	if u == nil {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "401 Unauthorized"})
		return nil, nil, false
	}
	if reason := denied(u, s.URL); reason != "" {
		writeJSON(w, http.StatusForbidden, map[string]string{"message": "403 Forbidden - " + reason})
		return nil, nil, false
	}
	return u, t, true
}

// denied is user_access_denied_reason.rb's message for an account that may
// not use the API, or "".
func denied(u *User, base string) string {
	switch u.state() {
	case StateActive:
		return ""
	case StatePending:
		return "Your account is pending approval from your administrator and hence blocked."
	case StateDeactivated:
		return "Your account has been deactivated by your administrator. Please log back in from a web browser to reactivate your account at " + base
	}
	return "Your account has been blocked."
}

func invalidToken(w http.ResponseWriter, desc string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="The API", error="invalid_token", error_description="`+desc+`"`)
	writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token", "error_description": desc})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
