package authority

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/internal/strictjson"
)

// maxKIDLength caps the `kid` header; it is only ever a map key.
const maxKIDLength = 256

// forbiddenTokenHeaders carry or point at keys; an access token's key comes
// from the server's key set only (RFC 8725 §3.10).
var forbiddenTokenHeaders = []string{"jwk", "jku", "x5u", "x5c", "crit"}

// isCompactJWS reports whether token has the shape of a compact JWS whose
// header decodes to a JSON object.
func isCompactJWS(token string) bool {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return false
	}
	h, err := base64.RawURLEncoding.DecodeString(parts[0])
	return err == nil && len(h) > 1 && h[0] == '{'
}

// verifyJWT checks the header, the signature with the server's keys and
// decodes the claims strictly. Claim values are checked by checkClaims.
func (p *Provider) verifyJWT(ctx context.Context, scheme providers.Scheme, token string) (map[string]any, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, p.invalidToken(scheme, "token is not a compact JWS", nil)
	}
	rawHeader, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, p.invalidToken(scheme, "token header is not base64url", err)
	}
	hdr, err := strictjson.Object(rawHeader)
	if err != nil {
		return nil, p.invalidToken(scheme, "token header is not a JSON object", err)
	}
	typ, _ := hdr["typ"].(string)
	if !slices.ContainsFunc(p.cfg.tokenTypes(), func(t string) bool { return strings.EqualFold(t, typ) }) {
		return nil, p.invalidToken(scheme, "token typ is not an access-token type", fmt.Errorf("typ %q", typ))
	}
	alg, _ := hdr["alg"].(string)
	if !slices.Contains(p.algs, jose.SignatureAlgorithm(alg)) {
		return nil, p.invalidToken(scheme, "token alg is not allowed", fmt.Errorf("alg %q", alg))
	}
	for _, h := range forbiddenTokenHeaders {
		if _, ok := hdr[h]; ok {
			return nil, p.invalidToken(scheme, "token header carries "+h, nil)
		}
	}
	kid := ""
	if v, ok := hdr["kid"]; ok {
		if kid, ok = v.(string); !ok || len(kid) > maxKIDLength {
			return nil, p.invalidToken(scheme, "token kid is not an acceptable string", nil)
		}
	}
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
	if err != nil {
		return nil, p.invalidToken(scheme, "token does not parse", err)
	}
	keys, err := p.keys.Candidates(ctx, alg, kid, kid != "")
	if err != nil {
		if errorsIsUnavailable(err) {
			return nil, fmt.Errorf("authority: %w", err)
		}
		return nil, p.invalidToken(scheme, "no key of the issuer signed this token", err)
	}
	var payload []byte
	for _, k := range keys {
		if payload, err = jws.Verify(k); err == nil {
			break
		}
	}
	if payload == nil {
		return nil, p.invalidToken(scheme, "token signature does not verify", nil)
	}
	claims, err := strictjson.Object(payload)
	if err != nil {
		return nil, p.invalidToken(scheme, "token claims are not a JSON object", err)
	}
	return claims, nil
}
