package authtest

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"time"
)

// ProofKey is a DPoP client key.
type ProofKey struct {
	Signer crypto.Signer
	Alg    string
	// Now is the clock for `iat` (default time.Now).
	Now func() time.Time
}

// NewProofKey generates a DPoP key for alg (ES256, EdDSA, RS256, …).
func NewProofKey(alg string) (*ProofKey, error) {
	k, err := GenerateKey(alg)
	if err != nil {
		return nil, err
	}
	return &ProofKey{Signer: k, Alg: alg}, nil
}

// JKT is the RFC 7638 thumbprint of the key: the cnf.jkt a bound token
// carries.
func (k *ProofKey) JKT() string { return Thumbprint(k.Signer.Public()) }

// ATH returns base64url(SHA-256(token)), the `ath` claim for token.
func ATH(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Proof mints a valid DPoP proof for method and htu, with `ath` when
// accessToken is not empty. Each mutate function may change the header and
// claims before signing (to build invalid proofs).
func (k *ProofKey) Proof(method, htu, accessToken string, mutate ...func(header, claims map[string]any)) string {
	now := time.Now
	if k.Now != nil {
		now = k.Now
	}
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		panic(err)
	}
	header := map[string]any{"typ": "dpop+jwt", "alg": k.Alg, "jwk": PublicJWK(k.Signer.Public())}
	claims := map[string]any{
		"jti": base64.RawURLEncoding.EncodeToString(jti),
		"htm": method,
		"htu": htu,
		"iat": now().Unix(),
	}
	if accessToken != "" {
		claims["ath"] = ATH(accessToken)
	}
	for _, m := range mutate {
		m(header, claims)
	}
	s, err := SignCompact(k.Signer, k.Alg, header, claims)
	if err != nil {
		panic(err)
	}
	return s
}
