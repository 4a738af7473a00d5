package oidctest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash"

	jose "github.com/go-jose/go-jose/v4"
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
	var (
		k   crypto.Signer
		err error
	)
	switch alg {
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	case "ES256":
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ES384":
		k, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "ES512":
		k, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case "EdDSA":
		_, k, err = ed25519.GenerateKey(rand.Reader)
	default:
		return nil, fmt.Errorf("oidctest: unsupported algorithm %q", alg)
	}
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

// b64 is the unpadded base64url encoding of JWS.
func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// SignRaw builds a compact JWS from raw header and payload bytes, signed with
// alg. It signs exactly the bytes given, so tests can craft duplicate keys,
// odd types or any header. alg "none" yields an empty signature; "HS256",
// "HS384" and "HS512" MAC with secret; any other alg signs with k.
func SignRaw(k *Key, alg string, secret, header, payload []byte) (string, error) {
	input := b64(header) + "." + b64(payload)
	sig, err := signature(k, alg, secret, []byte(input))
	if err != nil {
		return "", err
	}
	return input + "." + b64(sig), nil
}

func signature(k *Key, alg string, secret, input []byte) ([]byte, error) {
	switch alg {
	case "none":
		return nil, nil
	case "HS256":
		return mac(sha256.New, secret, input), nil
	case "HS384":
		return mac(sha512.New384, secret, input), nil
	case "HS512":
		return mac(sha512.New, secret, input), nil
	}
	if k == nil {
		return nil, fmt.Errorf("oidctest: %s needs a key", alg)
	}
	h, err := hashFor(alg)
	if err != nil {
		return nil, err
	}
	var digest []byte
	if h != 0 {
		d := h.New()
		d.Write(input)
		digest = d.Sum(nil)
	}
	switch priv := k.Private.(type) {
	case *rsa.PrivateKey:
		if alg[0] == 'P' {
			return rsa.SignPSS(rand.Reader, priv, h, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		}
		return rsa.SignPKCS1v15(rand.Reader, priv, h, digest)
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, priv, digest)
		if err != nil {
			return nil, err
		}
		size := (priv.Curve.Params().BitSize + 7) / 8
		out := make([]byte, 2*size)
		r.FillBytes(out[:size])
		s.FillBytes(out[size:])
		return out, nil
	case ed25519.PrivateKey:
		return ed25519.Sign(priv, input), nil
	}
	return nil, fmt.Errorf("oidctest: unsupported key type %T", k.Private)
}

func mac(h func() hash.Hash, secret, input []byte) []byte {
	m := hmac.New(h, secret)
	m.Write(input)
	return m.Sum(nil)
}

func hashFor(alg string) (crypto.Hash, error) {
	switch alg {
	case "RS256", "PS256", "ES256":
		return crypto.SHA256, nil
	case "RS384", "PS384", "ES384":
		return crypto.SHA384, nil
	case "RS512", "PS512", "ES512":
		return crypto.SHA512, nil
	case "EdDSA":
		return 0, nil
	}
	return 0, fmt.Errorf("oidctest: unsupported algorithm %q", alg)
}
