package srhttest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/regbridge/regbridge/providers/internal/fakeupstream"
)

// The bearer regexes of core-go's auth middleware.
var (
	legacyBearerRegex = regexp.MustCompile(`^[0-9a-f]{32}$`)
	oauth2BearerRegex = regexp.MustCompile(`^[0-9a-zA-Z_+/]{33,}$`)
)

// maxRequestBody caps what the fake reads of a request body.
const maxRequestBody = 1 << 20

type authKey struct{}

// authContext is what the middleware hands the GraphQL handler.
type authContext struct {
	token Token
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, "/query") {
		s.serveOutside(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	if err != nil {
		http.Error(w, "read error", http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if s.serveFault(w, r, s.record(r, string(body))) {
		return
	}
	switch {
	case r.URL.Path == "/query/metrics":
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		_, _ = w.Write([]byte("# fake meta.sr.ht metrics\n"))
		return
	case r.URL.Path == "/query/api-meta.json":
		serveAPIMeta(w)
		return
	case strings.HasPrefix(r.URL.Path, "/query/external/"):
		http.NotFound(w, r)
		return
	}
	s.authenticate(w, r)
}

// authenticate is core-go's auth.Middleware for the bearer path, in its order,
// with its statuses and messages.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) {
	if _, err := r.Cookie("sr.ht.unified-login.v1"); err == nil {
		// The cookie path decrypts the cookie with the instance key; the fake
		// has no session cookies, so every cookie is invalid.
		authError(w, "Invalid authentication cookie", http.StatusForbidden)
		return
	}
	auth := r.Header.Get("Authorization")
	if auth == "" {
		authError(w, `Authorization header is required. Expected 'Authorization: Bearer [token]'`, http.StatusUnauthorized)
		return
	}
	z := strings.SplitN(auth, " ", 2)
	if len(z) != 2 {
		authError(w, "Invalid Authorization header", http.StatusBadRequest)
		return
	}
	switch strings.ToLower(z[0]) {
	case "bearer":
	case "internal":
		// Internal auth needs the instance's encryption key; the fake has
		// none, as a client outside the instance has none.
		authError(w, "Invalid Authorization header (encryption error)", http.StatusForbidden)
		return
	default:
		authError(w, "Invalid Authorization header", http.StatusBadRequest)
		return
	}
	token := z[1]
	switch {
	case oauth2BearerRegex.MatchString(token):
		s.oauth2(w, r, token)
	case legacyBearerRegex.MatchString(token):
		// The fake stores no legacy tokens.
		authError(w, "Invalid or expired OAuth token", http.StatusForbidden)
	default:
		authError(w, "Invalid OAuth bearer token", http.StatusBadRequest)
	}
}

// oauth2 is core-go's OAuth2 function: decode (non-strict), then the user
// and revocation lookups, then the suspension check, then DecodeGrants.
func (s *Server) oauth2(w http.ResponseWriter, r *http.Request, token string) {
	bt, ok := s.minter.Decode(token, s.opts.Now())
	if !ok {
		authError(w, "Invalid or expired OAuth 2.0 bearer token", http.StatusForbidden)
		return
	}
	s.mu.Lock()
	user, known := s.users[bt.Username]
	revoked := s.revokedTokens[TokenHash(token)] || (bt.ClientID != "" && s.revokedClients[bt.ClientID])
	tempErr := s.lookupFailures || !known
	s.mu.Unlock()
	if tempErr {
		authError(w, "Temporary error; try again later", http.StatusInternalServerError)
		return
	}
	if revoked {
		authError(w, "Invalid or expired OAuth 2.0 bearer token", http.StatusForbidden)
		return
	}
	if user.Suspended {
		authError(w, fmt.Sprintf("Account suspended with the following notice: %s\nContact support", user.Notice), http.StatusForbidden)
		return
	}
	if !grantsSplit(bt.Grants) {
		if s.opts.HangUpOnMalformedGrants {
			fakeupstream.Reset(w)
			return
		}
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	ctx := context.WithValue(r.Context(), authKey{}, &authContext{token: bt})
	s.serveGraphQL(w, r.WithContext(ctx))
}

// grantsSplit reports whether core-go's DecodeGrants would not panic: "" or
// every space-separated element has exactly one "/".
func grantsSplit(grants string) bool {
	if grants == "" {
		return true
	}
	for _, g := range strings.Split(grants, " ") {
		if strings.Count(g, "/") != 1 {
			return false
		}
	}
	return true
}

// hasMetaProfile reports whether grants give meta.sr.ht/PROFILE (any access:
// core-go's Has(scope, RO) only checks presence).
func hasMetaProfile(grants string) bool {
	if grants == "" {
		return true
	}
	for _, g := range strings.Split(grants, " ") {
		service, rest, _ := strings.Cut(g, "/")
		scope, _, _ := strings.Cut(rest, ":")
		if service == "meta.sr.ht" && scope == "PROFILE" {
			return true
		}
	}
	return false
}

// gqlError is gqlparser's error JSON (message; path omitted when empty).
type gqlError struct {
	Message string `json:"message"`
	Path    []any  `json:"path,omitempty"`
}

// authError writes core-go's authError: JSON {"errors":[…]} without "data".
func authError(w http.ResponseWriter, reason string, code int) {
	b, err := json.Marshal(struct {
		Errors []gqlError `json:"errors"`
	}{Errors: []gqlError{{Message: "Authentication error: " + reason}}})
	if err != nil {
		panic(err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

// serveOutside handles paths the auth middleware skips.
func (s *Server) serveOutside(w http.ResponseWriter, r *http.Request) {
	if s.opts.MintEndpoint && r.URL.Path == "/_fake/mint" {
		s.serveMint(w, r)
		return
	}
	http.NotFound(w, r)
}

func (s *Server) serveMint(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ttl := 45 * time.Minute
	if v := q.Get("ttl"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			http.Error(w, "bad ttl: "+err.Error(), http.StatusBadRequest)
			return
		}
		ttl = d
	}
	username := q.Get("username")
	if username == "" {
		username = "jdoe"
	}
	tok := s.minter.Mint(Token{
		Expires:  s.opts.Now().Add(ttl).Unix(),
		Grants:   q.Get("grants"),
		ClientID: q.Get("client_id"),
		Username: username,
	})
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(tok + "\n"))
}
