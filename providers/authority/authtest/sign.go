package authtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"

	"github.com/regbridge/regbridge/providers/internal/jwstest"
)

// SignCompact builds a compact JWS from arbitrary header and claims maps and
// signs it with key for alg, without any validation: tests use it to build
// malformed tokens and proofs. key is a crypto.Signer (ECDSA, RSA, Ed25519)
// or a []byte HMAC secret for HS256/HS384/HS512. alg "none" yields an empty
// signature.
func SignCompact(key any, alg string, header, claims map[string]any) (string, error) {
	h, err := json.Marshal(header)
	if err != nil {
		return "", err
	}
	c, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	return jwstest.Compact(key, alg, h, c)
}

// GenerateKey returns a fresh private key for alg: P-256/P-384/P-521 for
// ES256/ES384/ES512, RSA-2048 for RS*/PS*, Ed25519 for EdDSA.
func GenerateKey(alg string) (crypto.Signer, error) { return jwstest.GenerateKey(alg) }

// PublicJWK returns the JWK members of a public key (no private members).
func PublicJWK(pub crypto.PublicKey) map[string]any {
	b64 := base64.RawURLEncoding.EncodeToString
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		raw, err := k.Bytes() // 0x04 || X || Y
		if err != nil {
			return nil
		}
		size := (len(raw) - 1) / 2
		return map[string]any{"kty": "EC", "crv": k.Curve.Params().Name, "x": b64(raw[1 : 1+size]), "y": b64(raw[1+size:])}
	case *rsa.PublicKey:
		return map[string]any{"kty": "RSA", "n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())}
	case ed25519.PublicKey:
		return map[string]any{"kty": "OKP", "crv": "Ed25519", "x": b64(k)}
	}
	return nil
}

// Thumbprint returns the RFC 7638 SHA-256 thumbprint (base64url) of a public
// key, computed independently of the code under test.
func Thumbprint(pub crypto.PublicKey) string {
	m := PublicJWK(pub)
	var canon string
	switch m["kty"] {
	case "EC":
		canon = fmt.Sprintf(`{"crv":%q,"kty":"EC","x":%q,"y":%q}`, m["crv"], m["x"], m["y"])
	case "RSA":
		canon = fmt.Sprintf(`{"e":%q,"kty":"RSA","n":%q}`, m["e"], m["n"])
	case "OKP":
		canon = fmt.Sprintf(`{"crv":%q,"kty":"OKP","x":%q}`, m["crv"], m["x"])
	}
	sum := sha256.Sum256([]byte(canon))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// CertThumbprint returns base64url(SHA-256(DER)): a cnf.x5t#S256 value.
func CertThumbprint(der []byte) string {
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
