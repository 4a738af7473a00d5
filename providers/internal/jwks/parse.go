package jwks

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"

	jose "github.com/go-jose/go-jose/v4"
)

// Limits on what an issuer sends back.
const (
	// MaxDocumentBytes caps a discovery document or a JWKS.
	MaxDocumentBytes = 256 << 10
	// MaxKeys caps the usable keys of one JWKS.
	MaxKeys = 64
	// minRSABits is the smallest RSA modulus kept.
	minRSABits = 2048
)

// errNoKeys is returned for a JWKS without one usable key.
var errNoKeys = errors.New("key set holds no usable signing keys")

// Parse keeps the usable public signing keys of a JWKS: keys with an unknown
// type, a non-signature use, symmetric or private material, or an RSA
// modulus under 2048 bits are dropped. An empty result is an error, so that
// it is never kept. Errors name no package: callers prefix the yaml key or
// the operation.
func Parse(b []byte) ([]jose.JSONWebKey, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(b, &set); err != nil {
		return nil, fmt.Errorf("invalid JWKS: %w", err)
	}
	var keys []jose.JSONWebKey
	for _, raw := range set.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil || !k.Valid() || !k.IsPublic() {
			continue // unsupported or broken keys are skipped, not fatal
		}
		if (k.Use != "" && k.Use != "sig") || !usable(k.Key) {
			continue
		}
		keys = append(keys, k)
		if len(keys) > MaxKeys {
			return nil, fmt.Errorf("JWKS holds more than %d keys", MaxKeys)
		}
	}
	if len(keys) == 0 {
		return nil, errNoKeys
	}
	return keys, nil
}

// usable reports whether key is an asymmetric public key of a supported
// type and size.
func usable(key any) bool {
	switch k := key.(type) {
	case *rsa.PublicKey:
		return k.N.BitLen() >= minRSABits
	case *ecdsa.PublicKey, ed25519.PublicKey:
		return true
	}
	return false
}

// match returns the public keys with this kid (every key when the token
// names no kid) whose published alg, if any, is alg. The kid is only ever
// compared, never used as a path or query.
func match(keys []jose.JSONWebKey, alg, kid string, hasKID bool) []crypto.PublicKey {
	var out []crypto.PublicKey
	for _, k := range keys {
		if (!hasKID || k.KeyID == kid) && (k.Algorithm == "" || k.Algorithm == alg) {
			out = append(out, k.Key)
		}
	}
	return out
}
