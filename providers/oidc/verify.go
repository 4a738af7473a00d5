package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/internal/jwks"
)

// headerKeyMembers name keys or key locations a token could carry in its
// header. They are refused: keys come from the issuer's configuration only.
var headerKeyMembers = []string{"jku", "x5u", "jwk", "x5c", "crit", "cty", "b64"}

// maxNumericDate is 9999-12-31T23:59:59Z.
const maxNumericDate = 253402300799

// verifier checks an ID token from one issuer.
type verifier struct {
	issuer    string
	audiences []string
	algs      []string
	skew      time.Duration
	maxAge    time.Duration
	now       func() time.Time
	keys      *jwks.Set
}

// verifiedToken is a token whose signature, issuer, audience and times have
// been checked.
type verifiedToken struct {
	raw    string
	claims map[string]any
	expiry time.Time
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("oidc: verify: %w: %s", providers.ErrInvalidCredential, fmt.Sprintf(format, args...))
}

// verify runs every check that needs no key first, so that a forged token
// cannot make the issuer's keys be fetched, then the signature.
func (v *verifier) verify(ctx context.Context, raw string) (*verifiedToken, error) {
	tok, err := parseToken(raw)
	if err != nil {
		return nil, invalid("%v", err)
	}
	alg, kid, hasKID, err := v.checkHeader(tok.header)
	if err != nil {
		return nil, err
	}
	if err := v.checkKind(tok.claims); err != nil {
		return nil, err
	}
	if err := v.checkAudience(tok.claims["aud"]); err != nil {
		return nil, err
	}
	exp, err := v.checkTimes(tok.claims)
	if err != nil {
		return nil, err
	}
	keys, err := v.keys.Candidates(ctx, alg, kid, hasKID)
	if errors.Is(err, jwks.ErrUnknownKey) {
		return nil, invalid("kid %.64q: %v", kid, err)
	}
	if err != nil {
		return nil, fmt.Errorf("oidc: keys: %w", err)
	}
	gv := gooidc.NewVerifier(v.issuer, &gooidc.StaticKeySet{PublicKeys: keys}, &gooidc.Config{
		SupportedSigningAlgs: v.algs,
		SkipClientIDCheck:    true, // audiences are checked above against the configured list
		SkipExpiryCheck:      true, // times are checked above with the configured skew
		Now:                  v.now,
	})
	if _, err := gv.Verify(ctx, raw); err != nil {
		return nil, invalid("%v", err)
	}
	return &verifiedToken{raw: raw, claims: tok.claims, expiry: exp}, nil
}

// checkHeader enforces the algorithm allow-list, refuses header-supplied
// keys and critical extensions, bounds the kid and refuses every `typ` but
// JWT: access tokens (at+jwt), DPoP proofs and other typed tokens are not ID
// tokens.
func (v *verifier) checkHeader(h map[string]any) (alg, kid string, hasKID bool, err error) {
	alg, ok := h["alg"].(string)
	if !ok || !slices.Contains(v.algs, alg) {
		return "", "", false, invalid("alg %.32q is not allowed for this issuer", fmt.Sprint(h["alg"]))
	}
	for _, m := range headerKeyMembers {
		if _, present := h[m]; present {
			return "", "", false, invalid("header member %q is refused", m)
		}
	}
	if k, present := h["kid"]; present {
		kid, ok = k.(string)
		if !ok || kid == "" || len(kid) > maxKIDBytes {
			return "", "", false, invalid("kid must be a string of 1 to %d bytes", maxKIDBytes)
		}
		hasKID = true
	}
	if t, present := h["typ"]; present {
		typ, ok := t.(string)
		typ = strings.TrimPrefix(strings.ToLower(typ), "application/")
		if !ok || typ != "jwt" {
			return "", "", false, invalid("typ %.32q is not an ID token type", fmt.Sprint(t))
		}
	}
	return alg, kid, hasKID, nil
}

// checkKind refuses tokens of other kinds that an issuer may sign with the
// same keys: JWT access tokens, sender-constrained tokens (whose binding a
// docker password cannot prove) and registry tokens (which carry `access`).
func (v *verifier) checkKind(c map[string]any) error {
	iss, _ := c["iss"].(string)
	if iss != v.issuer {
		return invalid("iss %.300q is not this issuer", iss)
	}
	for _, name := range []string{"access", "cnf", "scp", "client_id"} {
		if _, present := c[name]; present {
			if name == "client_id" {
				if _, hasScope := c["scope"]; !hasScope {
					continue
				}
			}
			return invalid("claim %q marks a token that is not an ID token", name)
		}
	}
	if use, present := c["token_use"]; present && use != "id" {
		return invalid("token_use %.32q is not an ID token", fmt.Sprint(use))
	}
	if typ, present := c["typ"]; present {
		if s, ok := typ.(string); !ok || !strings.EqualFold(s, "ID") {
			return invalid("claim typ %.32q is not an ID token", fmt.Sprint(typ))
		}
	}
	return nil
}

// checkAudience requires `aud` (a string or a non-empty array of strings) to
// contain one of the configured audiences.
func (v *verifier) checkAudience(aud any) error {
	var auds []string
	switch a := aud.(type) {
	case string:
		auds = []string{a}
	case []any:
		if len(a) > maxAudiences {
			return invalid("more than %d audiences", maxAudiences)
		}
		for _, e := range a {
			s, ok := e.(string)
			if !ok {
				return invalid("aud holds a non-string value")
			}
			auds = append(auds, s)
		}
	default:
		return invalid("aud missing or not a string or array")
	}
	for _, a := range auds {
		if a != "" && slices.Contains(v.audiences, a) {
			return nil
		}
	}
	return invalid("aud does not name this bridge")
}

// checkTimes enforces exp (required), nbf and iat (required, not in the
// future, at most maxAge old), each with the configured skew and nothing
// more. It returns when the identity expires: the earlier of exp and
// iat + maxAge.
func (v *verifier) checkTimes(c map[string]any) (time.Time, error) {
	now := v.now()
	exp, ok, err := numericDate(c, "exp")
	if err != nil || !ok {
		return time.Time{}, invalid("exp: required integer NumericDate")
	}
	if now.After(exp.Add(v.skew)) {
		return time.Time{}, invalid("token expired at %s", exp.UTC().Format(time.RFC3339))
	}
	nbf, ok, err := numericDate(c, "nbf")
	if err != nil {
		return time.Time{}, invalid("nbf: %v", err)
	}
	if ok && nbf.After(now.Add(v.skew)) {
		return time.Time{}, invalid("token not valid before %s", nbf.UTC().Format(time.RFC3339))
	}
	iat, ok, err := numericDate(c, "iat")
	if err != nil || !ok {
		return time.Time{}, invalid("iat: required integer NumericDate")
	}
	if iat.After(now.Add(v.skew)) {
		return time.Time{}, invalid("iat is in the future")
	}
	if now.After(iat.Add(v.maxAge + v.skew)) {
		return time.Time{}, invalid("token older than max_token_age %s", v.maxAge)
	}
	if exp.Before(iat) {
		return time.Time{}, invalid("exp before iat")
	}
	// The identity (and any cached verification) ends when the token stops
	// being acceptable: at exp, or earlier when max_token_age runs out.
	if limit := iat.Add(v.maxAge); limit.Before(exp) {
		return limit, nil
	}
	return exp, nil
}

// numericDate reads an integer NumericDate. Strings, fractions, exponents,
// negative and absurdly large values are refused.
func numericDate(c map[string]any, name string) (time.Time, bool, error) {
	v, present := c[name]
	if !present {
		return time.Time{}, false, nil
	}
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, true, fmt.Errorf("%s is not a number", name)
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil || i < 0 || i > maxNumericDate {
		return time.Time{}, true, fmt.Errorf("%s is not an integer NumericDate", name)
	}
	return time.Unix(i, 0), true, nil
}
