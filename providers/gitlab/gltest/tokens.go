package gltest

import (
	"encoding/json"
	"net/http"
	"time"
)

// serveTokenSelf is GET /personal_access_tokens/self
// (lib/api/personal_access_tokens/self_information.rb): any scope, PATs
// only; other tokens get 400 once authenticated.
func (s *Server) serveTokenSelf(w http.ResponseWriter, r *http.Request) {
	_, t, ok := s.authenticate(w, r, nil, false)
	if !ok {
		return
	}
	if t.Kind != PersonalAccessToken {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "400 Bad request - This endpoint requires token type to be a personal access token"})
		return
	}
	var expires any
	if !t.ExpiresAt.IsZero() {
		expires = t.ExpiresAt.UTC().Format(time.DateOnly)
	}
	scopes := append([]string{}, t.Scopes...)
	m := map[string]any{
		"id": len(t.Value), "name": t.Name, "revoked": t.Revoked, "created_at": t.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z"),
		"description": "", "scopes": scopes, "user_id": t.UserID, "last_used_at": nil, "active": true,
		"expires_at": expires, "last_used_ips": []any{},
	}
	if t.GranularScopes != "" {
		m["granular_scopes"] = json.RawMessage(t.GranularScopes)
	}
	writeJSON(w, http.StatusOK, m)
}

// serveTokenInfo is Doorkeeper's GET /oauth/token/info (doc/api/oauth2.md):
// OAuth access tokens only, from Authorization: Bearer or access_token.
// Its 401 bodies are Doorkeeper's, not the API's.
func (s *Server) serveTokenInfo(w http.ResponseWriter, r *http.Request) {
	raw := bearer(r)
	if raw == "" {
		raw = r.URL.Query().Get("access_token")
	}
	t := s.tokens[raw]
	refuse := func(desc string) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="Doorkeeper", error="invalid_token", error_description="`+desc+`"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token", "error_description": desc, "state": "unauthorized"})
	}
	switch {
	case t == nil || t.Kind != OAuthToken:
		refuse("The access token is invalid")
		return
	case t.Revoked:
		refuse("The access token was revoked")
		return
	case !s.opts.Now().Before(t.ExpiresAt):
		refuse("The access token expired")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"resource_owner_id": t.UserID, "scope": append([]string{}, t.Scopes...),
		"expires_in": int(t.ExpiresAt.Sub(s.opts.Now()).Seconds()), "application": map[string]string{"uid": "regbridge-test-app"},
		"created_at": t.CreatedAt.Unix(),
	})
}
