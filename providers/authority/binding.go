package authority

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/authority/dpop"
)

// RFC 8693 subject token types this provider accepts in a token exchange.
const (
	TokenTypeAccessToken = "urn:ietf:params:oauth:token-type:access_token"
	TokenTypeJWT         = "urn:ietf:params:oauth:token-type:jwt"
)

// binding is the sender constraint a token carries in its verified `cnf`.
type binding struct {
	jkt string // DPoP key thumbprint
	x5t string // mTLS certificate thumbprint
}

func bindingOf(id providers.Identity) binding {
	cnf, _ := id.Claims["cnf"].(map[string]any)
	jkt, _ := cnf["jkt"].(string)
	x5t, _ := cnf["x5t#S256"].(string)
	return binding{jkt: jkt, x5t: x5t}
}

// CheckBinding enforces the sender constraint on one request: the DPoP
// proof for a cnf.jkt token, the client certificate for a cnf.x5t#S256
// token, and refusal of every downgrade (a bound token as a Basic password
// or, for DPoP, as Bearer; the DPoP scheme with an unbound token; an
// unbound token where sender_constraint requires a binding). It MUST run
// on every request, cached identity or not.
func (p *Provider) CheckBinding(ctx context.Context, cred providers.Credential, id providers.Identity) error {
	b := bindingOf(id)
	s := cred.Scheme
	switch p.cfg.constraint() {
	case ConstraintDPoP:
		if b.jkt == "" {
			return p.invalidToken(s, "token is not DPoP-bound (cnf.jkt) and this issuer requires DPoP", nil)
		}
	case ConstraintMTLS:
		if b.x5t == "" {
			return p.invalidToken(s, "token is not certificate-bound (cnf.x5t#S256) and this issuer requires mTLS", nil)
		}
	case ConstraintAny:
		if b.jkt == "" && b.x5t == "" {
			return p.invalidToken(s, "token is not sender-constrained and this issuer requires it", nil)
		}
	}
	switch s {
	case providers.SchemeDPoP:
		if b.jkt == "" {
			return p.invalidToken(s, "DPoP scheme with a token that is not DPoP-bound", nil)
		}
	case providers.SchemeBearer:
		if b.jkt != "" {
			return p.invalidToken(s, "DPoP-bound token presented as Bearer (downgrade)", nil)
		}
	case providers.SchemeBasic:
		if b.jkt != "" || b.x5t != "" {
			return p.invalidToken(s, "sender-constrained token presented as a password (downgrade)", nil)
		}
	case providers.SchemeExchange:
		if cred.TokenType != TokenTypeAccessToken && cred.TokenType != TokenTypeJWT {
			return p.invalidToken(s, "subject_token_type is not an access token or JWT", nil)
		}
	default:
		return p.invalidToken(s, "unsupported credential scheme", nil)
	}
	if b.jkt != "" {
		req := dpop.Request{
			Proofs: headerValues(cred.Request.Header, "DPoP"),
			Method: cred.Request.Method,
			URL:    cred.Request.URL,
			JKT:    b.jkt,
		}
		if s == providers.SchemeDPoP {
			req.AccessToken = cred.Secret.Reveal()
		}
		if _, err := p.verifier.Verify(ctx, req); err != nil {
			return p.proofError(err, s == providers.SchemeExchange)
		}
	}
	if b.x5t != "" {
		der, err := p.clientCertificate(cred.Request)
		if err != nil {
			return p.invalidToken(s, "no usable client certificate for a certificate-bound token", err)
		}
		sum := sha256.Sum256(der)
		got := base64.RawURLEncoding.EncodeToString(sum[:])
		if subtle.ConstantTimeCompare([]byte(got), []byte(b.x5t)) != 1 {
			return p.invalidToken(s, "client certificate does not match the token's cnf.x5t#S256", nil)
		}
	}
	return nil
}

// headerValues tolerates a nil header.
func headerValues(h http.Header, name string) []string {
	if h == nil {
		return nil
	}
	return h.Values(name)
}

// KeptClaims implements providers.ClaimKeeper: CheckBinding reads cnf on
// cached identities too.
func (p *Provider) KeptClaims() []string { return []string{"cnf"} }
