package dpop

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"fmt"

	jose "github.com/go-jose/go-jose/v4"
)

// Key-strength bounds for RSA proof keys. go-jose refuses moduli above 4096
// bits when parsing a JWK.
const (
	MinRSABits = 2048
	MaxRSABits = 4096
)

// DefaultAlgorithms is the proof algorithm allow-list when none is
// configured. Every entry is asymmetric.
var defaultAlgorithms = []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.EdDSA, jose.PS256, jose.RS256}

// DefaultAlgorithms returns the default proof algorithm allow-list.
func DefaultAlgorithms() []jose.SignatureAlgorithm {
	return append([]jose.SignatureAlgorithm(nil), defaultAlgorithms...)
}

// IsAsymmetric reports whether alg is a signature algorithm with a public
// key (never none, never HMAC).
func IsAsymmetric(alg jose.SignatureAlgorithm) bool {
	switch alg {
	case jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
		jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512:
		return true
	}
	return false
}

// checkKeyForAlg enforces key strength and that the key type and curve fit
// the algorithm (ES256 needs P-256, not P-384).
func checkKeyForAlg(key any, alg jose.SignatureAlgorithm) error {
	switch k := key.(type) {
	case *ecdsa.PublicKey:
		want := map[jose.SignatureAlgorithm]elliptic.Curve{
			jose.ES256: elliptic.P256(), jose.ES384: elliptic.P384(), jose.ES512: elliptic.P521(),
		}[alg]
		if want == nil {
			return fmt.Errorf("EC key with alg %s", alg)
		}
		if k.Curve != want {
			return fmt.Errorf("curve %s does not fit alg %s", k.Curve.Params().Name, alg)
		}
	case *rsa.PublicKey:
		switch alg {
		case jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512:
		default:
			return fmt.Errorf("RSA key with alg %s", alg)
		}
		if bits := k.N.BitLen(); bits < MinRSABits || bits > MaxRSABits {
			return fmt.Errorf("RSA key of %d bits (want %d to %d)", bits, MinRSABits, MaxRSABits)
		}
		if k.E < 3 || k.E%2 == 0 {
			return fmt.Errorf("RSA public exponent %d", k.E)
		}
	case ed25519.PublicKey:
		if alg != jose.EdDSA {
			return fmt.Errorf("Ed25519 key with alg %s", alg)
		}
	default:
		return fmt.Errorf("unsupported key type %T", key)
	}
	return nil
}

// Thumbprint returns the RFC 7638 SHA-256 thumbprint of a public key,
// base64url-encoded without padding: the value a `cnf.jkt` claim holds.
func Thumbprint(key any) (string, error) {
	jwk := jose.JSONWebKey{Key: key}
	sum, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("dpop: thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(sum), nil
}
