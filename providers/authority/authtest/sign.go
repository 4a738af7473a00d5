package authtest

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
	"math/big"
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
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	sig, err := signInput(key, alg, []byte(input))
	if err != nil {
		return "", err
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

func hashFor(alg string) (crypto.Hash, func() hash.Hash) {
	switch alg[len(alg)-3:] {
	case "384":
		return crypto.SHA384, sha512.New384
	case "512":
		return crypto.SHA512, sha512.New
	default:
		return crypto.SHA256, sha256.New
	}
}

func signInput(key any, alg string, input []byte) ([]byte, error) {
	if alg == "none" {
		return nil, nil
	}
	if alg == "EdDSA" {
		k, ok := key.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("authtest: EdDSA needs an Ed25519 key, got %T", key)
		}
		return ed25519.Sign(k, input), nil
	}
	if len(alg) < 5 {
		return nil, fmt.Errorf("authtest: unknown alg %q", alg)
	}
	ch, hf := hashFor(alg)
	switch alg[:2] {
	case "HS":
		secret, ok := key.([]byte)
		if !ok {
			return nil, fmt.Errorf("authtest: %s needs a []byte secret", alg)
		}
		m := hmac.New(hf, secret)
		m.Write(input)
		return m.Sum(nil), nil
	case "RS", "PS":
		k, ok := key.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("authtest: %s needs an RSA key, got %T", alg, key)
		}
		d := hf()
		d.Write(input)
		if alg[:2] == "RS" {
			return rsa.SignPKCS1v15(rand.Reader, k, ch, d.Sum(nil))
		}
		return rsa.SignPSS(rand.Reader, k, ch, d.Sum(nil), &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	case "ES":
		k, ok := key.(*ecdsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("authtest: %s needs an EC key, got %T", alg, key)
		}
		d := hf()
		d.Write(input)
		r, s, err := ecdsa.Sign(rand.Reader, k, d.Sum(nil))
		if err != nil {
			return nil, err
		}
		size := (k.Curve.Params().BitSize + 7) / 8
		out := make([]byte, 2*size)
		r.FillBytes(out[:size])
		s.FillBytes(out[size:])
		return out, nil
	}
	return nil, fmt.Errorf("authtest: unknown alg %q", alg)
}

// GenerateKey returns a fresh private key for alg: P-256/P-384/P-521 for
// ES256/ES384/ES512, RSA-2048 for RS*/PS*, Ed25519 for EdDSA.
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
	return nil, fmt.Errorf("authtest: cannot generate a key for %q", alg)
}

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
