package authtest

import (
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/regbridge/regbridge/providers/internal/jwstest"
)

// Token describes an access token to mint. Zero fields get defaults.
type Token struct {
	Subject  string        // default "service-a"
	ClientID string        // default "client-a"
	Scope    string        // space-delimited; default "registry.token.issue"
	SCP      []string      // when set, an `scp` array claim too
	Audience []string      // default ["registry"]
	TTL      time.Duration // default 5m
	JKT      string        // cnf.jkt (DPoP-bound)
	X5T      string        // cnf.x5t#S256 (mTLS-bound)
	Typ      string        // header typ; default at+jwt
	Extra    map[string]any
	// Mutate may change the header and claims before signing.
	Mutate func(header, claims map[string]any)
}

// Claims returns the claim set the token would carry.
func (s *Server) claims(t Token) map[string]any {
	now := s.Now()
	ttl := t.TTL
	if ttl == 0 {
		ttl = 5 * time.Minute
	}
	c := map[string]any{
		"iss":       s.Issuer,
		"sub":       def(t.Subject, "service-a"),
		"client_id": def(t.ClientID, "client-a"),
		"aud":       t.Audience,
		"iat":       now.Unix(),
		"nbf":       now.Unix(),
		"exp":       now.Add(ttl).Unix(),
		"jti":       randomString(12),
	}
	if t.Audience == nil {
		c["aud"] = []string{"registry"}
	}
	if t.Scope != "-" {
		c["scope"] = def(t.Scope, "registry.token.issue")
	}
	if t.SCP != nil {
		c["scp"] = t.SCP
	}
	cnf := map[string]any{}
	if t.JKT != "" {
		cnf["jkt"] = t.JKT
	}
	if t.X5T != "" {
		cnf["x5t#S256"] = t.X5T
	}
	if len(cnf) > 0 {
		c["cnf"] = cnf
	}
	for k, v := range t.Extra {
		c[k] = v
	}
	return c
}

// JWT mints a signed JWT access token with the active key and registers it
// for introspection.
func (s *Server) JWT(t Token) string {
	s.mu.Lock()
	k := s.keys[0]
	s.mu.Unlock()
	claims := s.claims(t)
	header := map[string]any{"typ": def(t.Typ, "at+jwt"), "alg": k.alg, "kid": k.kid}
	if t.Mutate != nil {
		t.Mutate(header, claims)
	}
	tok, err := SignCompact(k.signer, k.alg, header, claims)
	if err != nil {
		panic(err)
	}
	s.register(tok, claims)
	return tok
}

// Opaque mints an opaque token known only to introspection.
func (s *Server) Opaque(t Token) string {
	claims := s.claims(t)
	if t.Mutate != nil {
		t.Mutate(map[string]any{}, claims)
	}
	tok := "opaque-" + randomString(24)
	s.register(tok, claims)
	return tok
}

func (s *Server) register(tok string, claims map[string]any) {
	s.mu.Lock()
	s.tokens[tok] = claims
	s.mu.Unlock()
}

func def(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// SignPayload signs raw claim bytes (for example JSON with a duplicate
// member) with the active key under header typ.
func (s *Server) SignPayload(typ string, payload []byte) string {
	s.mu.Lock()
	k := s.keys[0]
	s.mu.Unlock()
	h, _ := json.Marshal(map[string]any{"typ": typ, "alg": k.alg, "kid": k.kid})
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(payload)
	sig, err := jwstest.Sign(k.signer, k.alg, []byte(input))
	if err != nil {
		panic(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}
