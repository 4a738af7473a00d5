package bridge

import (
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/regbridge/regbridge/acl"
	"github.com/regbridge/regbridge/providers"
)

// Limits caps what a token request may carry.
type Limits struct {
	// MaxQueryBytes caps the raw query string (default 8 KiB).
	MaxQueryBytes int
	// MaxBodyBytes caps a POST body (default 64 KiB).
	MaxBodyBytes int64
	// MaxCredentialBytes caps a password or token (default 16 KiB).
	MaxCredentialBytes int
}

// WithDefaults returns l with empty fields set to their defaults.
func (l Limits) WithDefaults() Limits {
	if l.MaxQueryBytes == 0 {
		l.MaxQueryBytes = 8 << 10
	}
	if l.MaxBodyBytes == 0 {
		l.MaxBodyBytes = 64 << 10
	}
	if l.MaxCredentialBytes == 0 {
		l.MaxCredentialBytes = 16 << 10
	}
	return l
}

// Grant types of the OAuth2 POST flow.
const (
	GrantPassword      = "password"
	GrantRefreshToken  = "refresh_token"
	GrantTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
)

// TokenRequest is a parsed /token request.
type TokenRequest struct {
	// Method is GET or POST.
	Method string
	// GrantType is empty for GET.
	GrantType string
	// Service is the `service` parameter.
	Service string
	// Scopes are the requested scopes, merged per resource.
	Scopes []acl.Scope
	// Account is the `account` hint (never an identity).
	Account string
	// ClientID is the free-form client identifier.
	ClientID string
	// Offline is offline_token=true (GET) or access_type=offline (POST).
	Offline bool
	// Credential is what the client presented.
	Credential providers.Credential
	// RefreshToken is the refresh_token of a refresh grant.
	RefreshToken providers.Secret
}

// RequestError is a malformed request: it becomes a 4xx response naming the
// problem.
type RequestError struct {
	Status int
	// OAuth is the RFC 6749 error code ("invalid_request", …).
	OAuth   string
	Message string
}

func (e *RequestError) Error() string { return e.Message }

func badRequest(format string, args ...any) *RequestError {
	return &RequestError{Status: http.StatusBadRequest, OAuth: "invalid_request", Message: fmt.Sprintf(format, args...)}
}

// ParseTokenRequest reads a GET or POST /token request. It reads at most
// lim.MaxBodyBytes of the body and does nothing else with side effects.
func ParseTokenRequest(r *http.Request, lim Limits) (*TokenRequest, error) {
	if len(r.URL.RawQuery) > lim.MaxQueryBytes {
		return nil, &RequestError{Status: http.StatusRequestURITooLong, OAuth: "invalid_request",
			Message: fmt.Sprintf("query string longer than %d bytes", lim.MaxQueryBytes)}
	}
	req := &TokenRequest{Method: r.Method}
	var buf [8]formParam
	var params formParams
	var err error
	switch r.Method {
	case http.MethodGet:
		if params, err = parseParams(r.URL.RawQuery, buf[:0]); err != nil {
			return nil, badRequest("malformed query string: %v", err)
		}
	case http.MethodPost:
		if params, err = readForm(r, lim.MaxBodyBytes, buf[:0]); err != nil {
			return nil, err
		}
	default:
		return nil, &RequestError{Status: http.StatusMethodNotAllowed, OAuth: "invalid_request", Message: "use GET or POST"}
	}
	if req.Service, err = single(params, "service"); err != nil {
		return nil, err
	}
	if req.Account, err = single(params, "account"); err != nil {
		return nil, err
	}
	if req.ClientID, err = single(params, "client_id"); err != nil {
		return nil, err
	}
	if req.Scopes, err = acl.ParseScopes(params.values("scope")); err != nil {
		return nil, badRequest("%v", err)
	}
	if req.Credential, err = parseAuthorization(r.Header, lim); err != nil {
		return nil, err
	}
	if r.Method == http.MethodGet {
		off, err := single(params, "offline_token")
		if err != nil {
			return nil, err
		}
		req.Offline = off == "true"
		return req, nil
	}
	return req, parsePostGrant(req, params, lim)
}

func parsePostGrant(req *TokenRequest, params formParams, lim Limits) error {
	var err error
	if req.GrantType, err = single(params, "grant_type"); err != nil {
		return err
	}
	access, err := single(params, "access_type")
	if err != nil {
		return err
	}
	req.Offline = access == "offline"
	switch req.GrantType {
	case GrantPassword:
		user, err := single(params, "username")
		if err != nil {
			return err
		}
		pass, err := single(params, "password")
		if err != nil {
			return err
		}
		if req.Credential.Scheme != providers.SchemeNone {
			return badRequest("credentials given both in the Authorization header and in the form")
		}
		if len(pass) > lim.MaxCredentialBytes {
			return badRequest("password longer than %d bytes", lim.MaxCredentialBytes)
		}
		if user == "" && pass == "" {
			return nil
		}
		req.Credential = providers.Credential{Scheme: providers.SchemeBasic, Username: user, Secret: providers.Secret(pass)}
		return nil
	case GrantRefreshToken:
		return parseRefreshGrant(req, params, lim)
	case "":
		return badRequest("grant_type is required in a POST token request")
	default:
		return &RequestError{Status: http.StatusBadRequest, OAuth: "unsupported_grant_type",
			Message: fmt.Sprintf("grant_type %q is not supported on this endpoint", req.GrantType)}
	}
}

// readForm parses an application/x-www-form-urlencoded body of at most max
// bytes, appending to buf.
func readForm(r *http.Request, max int64, buf formParams) (formParams, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, &RequestError{Status: http.StatusUnsupportedMediaType, OAuth: "invalid_request",
			Message: "POST body must be application/x-www-form-urlencoded"}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		return nil, badRequest("reading body: %v", err)
	}
	if int64(len(body)) > max {
		return nil, &RequestError{Status: http.StatusRequestEntityTooLarge, OAuth: "invalid_request",
			Message: fmt.Sprintf("body larger than %d bytes", max)}
	}
	v, err := parseParams(string(body), buf)
	if err != nil {
		return nil, badRequest("malformed form body: %v", err)
	}
	return v, nil
}

// parseAuthorization reads the Authorization header: Basic, Bearer or DPoP.
func parseAuthorization(h http.Header, lim Limits) (providers.Credential, error) {
	vals := h.Values("Authorization")
	if len(vals) == 0 {
		return providers.Credential{}, nil
	}
	if len(vals) > 1 {
		return providers.Credential{}, badRequest("more than one Authorization header")
	}
	v := vals[0]
	if len(v) > lim.MaxCredentialBytes+16 {
		return providers.Credential{}, badRequest("Authorization header longer than %d bytes", lim.MaxCredentialBytes)
	}
	scheme, rest, ok := strings.Cut(v, " ")
	if !ok || rest == "" || strings.ContainsAny(rest, " \t") {
		return providers.Credential{}, badRequest("malformed Authorization header")
	}
	switch {
	case lowerIs(scheme, "basic"):
		// Decoded on the stack when it fits: the credential string is then
		// the only allocation.
		var stack [512]byte
		dst := stack[:0]
		if n := base64.StdEncoding.DecodedLen(len(rest)); n > len(stack) {
			dst = make([]byte, 0, n)
		}
		raw, err := base64.StdEncoding.Strict().AppendDecode(dst, []byte(rest))
		if err != nil {
			return providers.Credential{}, badRequest("malformed Basic credentials: not base64")
		}
		user, pass, ok := strings.Cut(string(raw), ":")
		if !ok {
			return providers.Credential{}, badRequest("malformed Basic credentials: no ':'")
		}
		if user == "" && pass == "" {
			return providers.Credential{}, nil
		}
		return providers.Credential{Scheme: providers.SchemeBasic, Username: user, Secret: providers.Secret(pass)}, nil
	case lowerIs(scheme, "bearer"):
		return providers.Credential{Scheme: providers.SchemeBearer, Secret: providers.Secret(rest)}, nil
	case lowerIs(scheme, "dpop"):
		return providers.Credential{Scheme: providers.SchemeDPoP, Secret: providers.Secret(rest)}, nil
	}
	return providers.Credential{}, badRequest("unsupported Authorization scheme %q (use Basic, Bearer or DPoP)", scheme)
}

// parseRefreshGrant reads grant_type=refresh_token. The refresh token is the
// only credential: an Authorization header beside it is refused.
func parseRefreshGrant(req *TokenRequest, params formParams, lim Limits) error {
	tok, err := single(params, "refresh_token")
	if err != nil {
		return err
	}
	if tok == "" {
		return &RequestError{Status: http.StatusBadRequest, OAuth: "invalid_request", Message: "refresh_token is required with grant_type=refresh_token"}
	}
	if len(tok) > lim.MaxCredentialBytes {
		return badRequest("refresh_token longer than %d bytes", lim.MaxCredentialBytes)
	}
	if req.Credential.Scheme != providers.SchemeNone {
		return badRequest("credentials given both in the Authorization header and as a refresh token")
	}
	req.RefreshToken = providers.Secret(tok)
	return nil
}

// lowerIs reports whether strings.ToLower(s) == lower, without allocating
// when s is ASCII (lower must be lower-case ASCII).
func lowerIs(s, lower string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return strings.ToLower(s) == lower
		}
	}
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
