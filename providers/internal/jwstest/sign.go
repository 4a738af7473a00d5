// Package jwstest signs JWS inputs for the adapters' test helpers (authtest,
// oidctest) without any validation, so tests can build tokens and proofs
// with any header, a mismatched algorithm or no signature at all. It is the
// one test signer; production code verifies with go-jose and never imports
// it.
package jwstest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"strings"
)

// Compact returns header.payload.signature of the raw header and payload
// bytes, signed by Sign.
func Compact(key any, alg string, header, payload []byte) (string, error) {
	input := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(payload)
	sig, err := Sign(key, alg, []byte(input))
	if err != nil {
		return "", err
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// Sign returns the JWS signature of input for alg. alg "none" gives an empty
// signature; HS256/HS384/HS512 MAC with key as a []byte secret; any other
// alg signs with key, a crypto.Signer, by the key's type: PKCS#1 v1.5 for
// RSA (PSS when alg starts with P), r‖s for ECDSA, Ed25519 over the input.
// The hash is the alg's (SHA-256 unless it ends in 384 or 512).
func Sign(key any, alg string, input []byte) ([]byte, error) {
	if alg == "none" {
		return nil, nil
	}
	h := hashOf(alg)
	if strings.HasPrefix(alg, "HS") {
		secret, ok := key.([]byte)
		if !ok {
			return nil, fmt.Errorf("jwstest: %s needs a []byte secret, got %T", alg, key)
		}
		m := hmac.New(h.New, secret)
		m.Write(input)
		return m.Sum(nil), nil
	}
	digest := func() []byte {
		d := h.New()
		d.Write(input)
		return d.Sum(nil)
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if strings.HasPrefix(alg, "P") {
			return rsa.SignPSS(rand.Reader, k, h, digest(), &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		}
		return rsa.SignPKCS1v15(rand.Reader, k, h, digest())
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, k, digest())
		if err != nil {
			return nil, err
		}
		size := (k.Curve.Params().BitSize + 7) / 8
		out := make([]byte, 2*size)
		r.FillBytes(out[:size])
		s.FillBytes(out[size:])
		return out, nil
	case ed25519.PrivateKey:
		return ed25519.Sign(k, input), nil
	}
	return nil, fmt.Errorf("jwstest: %s: unsupported key type %T", alg, key)
}

// hashOf is the hash of a JWS algorithm by its suffix.
func hashOf(alg string) crypto.Hash {
	switch {
	case strings.HasSuffix(alg, "384"):
		return crypto.SHA384
	case strings.HasSuffix(alg, "512"):
		return crypto.SHA512
	}
	return crypto.SHA256
}

// GenerateKey returns a fresh private key for alg: P-256, P-384 or P-521
// for ES256, ES384, ES512; RSA 2048 for RS* and PS*; Ed25519 for EdDSA.
func GenerateKey(alg string) (crypto.Signer, error) {
	switch alg {
	case "ES256":
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ES384":
		return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "ES512":
		return ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case "EdDSA":
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		return rsa.GenerateKey(rand.Reader, 2048)
	}
	return nil, fmt.Errorf("jwstest: cannot generate a key for %q", alg)
}
