package bridge

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/regbridge/regbridge/bridge/signing"
	"github.com/regbridge/regbridge/providers"
)

// Registered is a configured provider with its id.
type Registered struct {
	ID       string
	Provider providers.Provider
	route    providers.Route
}

// Router picks the single provider a credential is sent to. A credential is
// never offered to a second provider.
type Router struct {
	byIssuer   map[string]*Registered
	byUsername map[string]*Registered
	wildcard   *Registered
	locals     []*Registered
	opaque     map[providers.Scheme]*Registered
	all        []*Registered
}

// ErrNoRoute means no provider claims the credential: it is refused without
// any upstream call.
var ErrNoRoute = fmt.Errorf("bridge: no provider accepts this credential: %w", providers.ErrInvalidCredential)

// NewRouter builds the routing table. Two providers claiming one issuer, one
// username, or "*" are a configuration error.
func NewRouter(list []*Registered) (*Router, error) {
	r := &Router{
		byIssuer:   map[string]*Registered{},
		byUsername: map[string]*Registered{},
		opaque:     map[providers.Scheme]*Registered{},
	}
	var errs []error
	for _, reg := range list {
		if rt, ok := reg.Provider.(providers.Router); ok {
			reg.route = rt.Route()
		}
		r.all = append(r.all, reg)
		for _, iss := range reg.route.Issuers {
			if prev, dup := r.byIssuer[iss]; dup {
				errs = append(errs, fmt.Errorf("providers %q and %q both declare issuer %q", prev.ID, reg.ID, iss))
				continue
			}
			r.byIssuer[iss] = reg
		}
		for _, u := range reg.route.Usernames {
			if u == "*" {
				if r.wildcard != nil {
					errs = append(errs, fmt.Errorf("providers %q and %q both claim every username (\"*\")", r.wildcard.ID, reg.ID))
					continue
				}
				r.wildcard = reg
				continue
			}
			if prev, dup := r.byUsername[u]; dup {
				errs = append(errs, fmt.Errorf("providers %q and %q both claim username %q", prev.ID, reg.ID, u))
				continue
			}
			r.byUsername[u] = reg
		}
		if reg.route.Users != nil {
			r.locals = append(r.locals, reg)
		}
		if reg.route.OpaqueTokens {
			for _, s := range append(slices.Clone(reg.route.Schemes), string(providers.SchemeExchange)) {
				sc := providers.Scheme(s)
				if prev, dup := r.opaque[sc]; dup {
					errs = append(errs, fmt.Errorf("providers %q and %q both accept opaque %s tokens", prev.ID, reg.ID, s))
					continue
				}
				r.opaque[sc] = reg
			}
		}
	}
	return r, errors.Join(errs...)
}

// Providers returns every registered provider in configuration order.
func (r *Router) Providers() []*Registered { return r.all }

// Route returns the provider for cred, or an error wrapping
// providers.ErrInvalidCredential when none claims it. It does no I/O.
func (r *Router) Route(cred providers.Credential) (*Registered, error) {
	token := cred.Secret.Reveal()
	if signing.LooksLikeRefreshToken(token) {
		return nil, errRefreshAsCredential
	}
	iss, isJWS, err := PeekIssuer(token)
	if err != nil {
		return nil, fmt.Errorf("bridge: %w: %v", providers.ErrInvalidCredential, err)
	}
	if isJWS {
		reg, ok := r.byIssuer[iss]
		if !ok {
			return nil, fmt.Errorf("bridge: token issuer %q is not configured: %w", iss, providers.ErrInvalidCredential)
		}
		if cred.Scheme != providers.SchemeBasic && cred.Scheme != providers.SchemeExchange && !slices.Contains(reg.route.Schemes, string(cred.Scheme)) {
			return nil, fmt.Errorf("bridge: provider %q does not accept the %s scheme: %w", reg.ID, cred.Scheme, providers.ErrInvalidCredential)
		}
		return reg, nil
	}
	switch cred.Scheme {
	case providers.SchemeBasic:
		for _, reg := range r.locals {
			if reg.route.Users(cred.Username) {
				return reg, nil
			}
		}
		if reg, ok := r.byUsername[cred.Username]; ok {
			return reg, nil
		}
		if r.wildcard != nil {
			return r.wildcard, nil
		}
		if len(r.locals) > 0 {
			// A name no provider claims costs the first local provider's
			// password check, exactly like a known name with a wrong
			// password: refusing it here would tell which names exist.
			return r.locals[0], nil
		}
	case providers.SchemeBearer, providers.SchemeDPoP, providers.SchemeExchange:
		if reg, ok := r.opaque[cred.Scheme]; ok {
			return reg, nil
		}
	}
	return nil, ErrNoRoute
}

// maxPeekBytes caps the token a peek will decode.
const maxPeekBytes = 16 << 10

// PeekIssuer reports whether token is a compact JWS and, if so, its
// unverified `iss`. It does no I/O and verifies nothing: the result only
// chooses which provider verifies the token. A token shaped like a JWS
// (three dot-separated parts) whose header or payload does not decode, or
// that has no string `iss`, is an error.
func PeekIssuer(token string) (iss string, isJWS bool, err error) {
	if strings.Count(token, ".") != 2 {
		return "", false, nil
	}
	if len(token) > maxPeekBytes {
		return "", true, errors.New("token too long")
	}
	h, rest, _ := strings.Cut(token, ".")
	p, sig, _ := strings.Cut(rest, ".")
	if h == "" || p == "" || sig == "" {
		return "", true, errors.New("malformed compact JWS")
	}
	var header struct {
		Alg string `json:"alg"`
	}
	if err := decodeSegment(h, &header); err != nil || header.Alg == "" {
		return "", true, errors.New("malformed JWS header")
	}
	var payload struct {
		Iss *string `json:"iss"`
	}
	if err := decodeSegment(p, &payload); err != nil {
		return "", true, errors.New("malformed JWS payload")
	}
	if payload.Iss == nil || *payload.Iss == "" {
		return "", true, errors.New("token has no iss claim")
	}
	return *payload.Iss, true, nil
}

func decodeSegment(seg string, v any) error {
	raw, err := base64.RawURLEncoding.Strict().DecodeString(seg)
	if err != nil {
		return err
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return errors.New("not a JSON object")
	}
	return json.Unmarshal(raw, v)
}
