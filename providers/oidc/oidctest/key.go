package oidctest

import (
	"crypto"
	"encoding/json"
	"fmt"
	"strings"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/regbridge/regbridge/providers/internal/jwstest"
)

// Key is a signing key generated at test time, with the key id and algorithm
// it is published under.
type Key struct {
	// ID is the JWK `kid`.
	ID string
	// Alg is the JWS algorithm the key signs with (RS256, PS256, ES256, …).
	Alg string
	// Private is the private key (*rsa.PrivateKey, *ecdsa.PrivateKey or
	// ed25519.PrivateKey).
	Private crypto.Signer
}

// NewKey generates a key for alg with the given kid. RSA keys are 2048 bits.
func NewKey(alg, kid string) (*Key, error) {
	k, err := jwstest.GenerateKey(alg)
	if err != nil {
		return nil, fmt.Errorf("oidctest: generate %s key: %w", alg, err)
	}
	return &Key{ID: kid, Alg: alg, Private: k}, nil
}

// MustKey is NewKey that panics on error, for test set-up.
func MustKey(alg, kid string) *Key {
	k, err := NewKey(alg, kid)
	if err != nil {
		panic(err)
	}
	return k
}

// JWK returns the public JWK, with kid, alg and use set.
func (k *Key) JWK() jose.JSONWebKey {
	return jose.JSONWebKey{Key: k.Private.Public(), KeyID: k.ID, Algorithm: k.Alg, Use: "sig"}
}

// JWKS returns a JSON Web Key Set holding the public halves of keys.
func JWKS(keys ...*Key) []byte {
	set := jose.JSONWebKeySet{}
	for _, k := range keys {
		set.Keys = append(set.Keys, k.JWK())
	}
	b, err := json.Marshal(set)
	if err != nil {
		panic(err)
	}
	return b
}

// SignRaw builds a compact JWS from raw header and payload bytes, signed with
// alg. It signs exactly the bytes given, so tests can craft duplicate keys,
// odd types or any header. alg "none" yields an empty signature; "HS256",
// "HS384" and "HS512" MAC with secret; any other alg signs with k.
func SignRaw(k *Key, alg string, secret, header, payload []byte) (string, error) {
	var key any = secret
	if !strings.HasPrefix(alg, "HS") && alg != "none" {
		if k == nil {
			return "", fmt.Errorf("oidctest: %s needs a key", alg)
		}
		key = k.Private
	}
	return jwstest.Compact(key, alg, header, payload)
}
