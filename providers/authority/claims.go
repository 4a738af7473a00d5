package authority

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/regbridge/regbridge/providers"
)

// reservedClaims are never overwritten by claims lifted from claims_path.
var reservedClaims = []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "cnf", "scope", "scp", "client_id", "username", "active", "token_type"}

// claimSource says where claims came from: a locally verified JWT must
// carry iss, aud, exp and sub; an introspection response need not, but what
// it carries is checked the same way.
type claimSource int

const (
	fromJWT claimSource = iota
	fromIntrospection
)

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// toIdentity checks the claim values and maps them to an Identity: the
// issuer and audience, the times, the subject and client, the scopes.
func (p *Provider) toIdentity(scheme providers.Scheme, c map[string]any, src claimSource) (providers.Identity, error) {
	if r := p.checkIssuedFor(c, src); r != nil {
		return providers.Identity{}, p.invalidToken(scheme, r.desc, r.cause)
	}
	exp, r := p.checkTimes(c, src)
	if r != nil {
		return providers.Identity{}, p.invalidToken(scheme, r.desc, r.cause)
	}
	sub, clientID, r := p.checkSubject(c)
	if r != nil {
		return providers.Identity{}, p.invalidToken(scheme, r.desc, r.cause)
	}
	scopes, err := p.scopes(c)
	if err != nil {
		return providers.Identity{}, p.invalidToken(scheme, "token scope claim malformed", err)
	}
	for _, want := range p.cfg.requiredScopes() {
		if !slices.Contains(scopes, want) {
			return providers.Identity{}, p.insufficientScope(scheme, "token lacks scope "+want)
		}
	}
	claims := p.lift(c)
	return providers.Identity{Subject: sub, Username: p.username(claims, clientID), Grants: scopes, Claims: claims, Expiry: exp}, nil
}

// refusal is why a token's claims are refused: the description the client
// sees and the cause that is logged.
type refusal struct {
	desc  string
	cause error
}

// checkIssuedFor checks iss and aud: required in a JWT, checked in an
// introspection answer when present.
func (p *Provider) checkIssuedFor(c map[string]any, src claimSource) *refusal {
	if v, ok := c["iss"]; ok || src == fromJWT {
		if s, _ := v.(string); s != p.cfg.Issuer {
			return &refusal{"token issuer does not match", fmt.Errorf("iss %v", v)}
		}
	}
	if v, ok := c["aud"]; ok || src == fromJWT {
		if !p.audienceOK(v) {
			return &refusal{"token audience is not this registry", fmt.Errorf("aud %v", v)}
		}
	}
	return nil
}

// checkTimes checks exp (required in a JWT), nbf and iat against the clock
// with the allowed skew, and max_token_age; it returns the expiry (zero
// when an introspection answer has none).
func (p *Provider) checkTimes(c map[string]any, src claimSource) (time.Time, *refusal) {
	now := p.now()
	skew := p.cfg.skew()
	var expiry time.Time
	if v, ok := c["exp"]; ok || src == fromJWT {
		exp, err := numericDate(v)
		if err != nil {
			return time.Time{}, &refusal{"token exp missing or malformed", err}
		}
		if !now.Before(exp.Add(skew)) {
			return time.Time{}, &refusal{"token expired", nil}
		}
		expiry = exp
	}
	if v, ok := c["nbf"]; ok {
		nbf, err := numericDate(v)
		if err != nil {
			return time.Time{}, &refusal{"token nbf malformed", err}
		}
		if nbf.After(now.Add(skew)) {
			return time.Time{}, &refusal{"token not yet valid", nil}
		}
	}
	if v, ok := c["iat"]; ok {
		iat, err := numericDate(v)
		if err != nil {
			return time.Time{}, &refusal{"token iat malformed", err}
		}
		if iat.After(now.Add(skew)) {
			return time.Time{}, &refusal{"token issued in the future", nil}
		}
		if p.cfg.MaxTokenAge > 0 && now.Sub(iat) > p.cfg.MaxTokenAge+skew {
			return time.Time{}, &refusal{"token older than max_token_age", nil}
		}
	} else if p.cfg.MaxTokenAge > 0 {
		return time.Time{}, &refusal{"token has no iat and max_token_age is set", nil}
	}
	return expiry, nil
}

// checkSubject checks sub (required), client_id (against client_ids when
// set) and the shape of cnf, and returns the subject and client id.
func (p *Provider) checkSubject(c map[string]any) (sub, clientID string, r *refusal) {
	sub, _ = c["sub"].(string)
	if sub == "" {
		return "", "", &refusal{"token sub missing or not a string", nil}
	}
	clientID, _ = c["client_id"].(string)
	if _, ok := c["client_id"]; ok && clientID == "" {
		return "", "", &refusal{"token client_id is not a string", nil}
	}
	if len(p.cfg.ClientIDs) > 0 && !slices.Contains(p.cfg.ClientIDs, clientID) {
		return "", "", &refusal{"token client_id is not allowed", fmt.Errorf("client_id %q", clientID)}
	}
	if v, ok := c["cnf"]; ok {
		if err := checkCnf(v); err != nil {
			return "", "", &refusal{"token cnf malformed", err}
		}
	}
	return sub, clientID, nil
}

func (p *Provider) audienceOK(v any) bool {
	var auds []string
	switch a := v.(type) {
	case string:
		auds = []string{a}
	case []any:
		for _, x := range a {
			s, ok := x.(string)
			if !ok {
				return false
			}
			auds = append(auds, s)
		}
	default:
		return false
	}
	for _, a := range auds {
		if slices.Contains(p.cfg.Audiences, a) {
			return true
		}
	}
	return false
}

// scopes reads the configured scope claim(s): `scope` a space-delimited
// string (RFC 9068 §2.2.3), `scp` an array of strings (or a string).
// Matching later is exact-token equality.
func (p *Provider) scopes(c map[string]any) ([]string, error) {
	var out []string
	which := p.cfg.scopeClaim()
	if which == "scope" || which == "both" {
		if v, ok := c["scope"]; ok {
			s, ok := v.(string)
			if !ok {
				return nil, errors.New("scope is not a string")
			}
			out = appendTokens(out, s)
		}
	}
	if which == "scp" || which == "both" {
		switch v := c["scp"].(type) {
		case nil:
		case string:
			out = appendTokens(out, v)
		case []any:
			for _, x := range v {
				s, ok := x.(string)
				if !ok || s == "" || strings.Contains(s, " ") {
					return nil, errors.New("scp holds a non-scope value")
				}
				if !slices.Contains(out, s) {
					out = append(out, s)
				}
			}
		default:
			return nil, errors.New("scp is not an array or string")
		}
	}
	return out, nil
}

func appendTokens(out []string, s string) []string {
	for _, t := range strings.Split(s, " ") {
		if t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// lift copies the members of the claims_path object to the top level,
// never over a claim the token already has at the top or a reserved one.
func (p *Provider) lift(c map[string]any) map[string]any {
	out := make(map[string]any, len(c))
	for k, v := range c {
		out[k] = v
	}
	if p.cfg.ClaimsPath == "" {
		return out
	}
	nested, ok := c[p.cfg.ClaimsPath].(map[string]any)
	if !ok {
		return out
	}
	for k, v := range nested {
		if _, exists := out[k]; exists || slices.Contains(reservedClaims, k) {
			continue
		}
		out[k] = v
	}
	return out
}

func (p *Provider) username(c map[string]any, clientID string) string {
	if p.cfg.UsernameClaim != "" {
		s, _ := c[p.cfg.UsernameClaim].(string)
		return s
	}
	if s, ok := c["username"].(string); ok && s != "" {
		return s
	}
	return clientID
}

// checkCnf requires cnf to be an object whose jkt and x5t#S256 members,
// when present, are unpadded base64url SHA-256 values.
func checkCnf(v any) error {
	m, ok := v.(map[string]any)
	if !ok {
		return errors.New("cnf is not an object")
	}
	for _, k := range []string{"jkt", "x5t#S256"} {
		x, present := m[k]
		if !present {
			continue
		}
		s, ok := x.(string)
		if !ok || len(s) != 43 || strings.ContainsAny(s, "=+/") {
			return fmt.Errorf("cnf.%s is not a base64url SHA-256 value", k)
		}
	}
	return nil
}

// numericDate reads a JSON number as seconds since the epoch.
func numericDate(v any) (time.Time, error) {
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, errors.New("not a number")
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || f < 0 || f > 253402300799 {
		return time.Time{}, errors.New("out of range")
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), nil
}
