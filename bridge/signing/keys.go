package signing

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base32"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/go-jose/go-jose/v4"
)

// Key is one signing key with its certificate and its identifiers.
type Key struct {
	// Signer is the private key.
	Signer crypto.Signer
	// Certificate is the self-signed or CA-issued certificate of the key; it
	// is required for the x5c header form.
	Certificate *x509.Certificate
	// Algorithm is the JWS algorithm this key signs with.
	Algorithm jose.SignatureAlgorithm
	// KeyID is the libtrust-format key ID: the one distribution 2.8 derives
	// from a bundle certificate, and the kid published in the JWKS.
	KeyID string
	// Source names the file the key came from, for messages.
	Source string
}

// LibtrustKeyID computes the key ID distribution 2.8 derives from a public
// key: SHA-256 over the DER SubjectPublicKeyInfo, the first 30 bytes in
// base32 without padding, in 12 groups of 4 joined by ':'.
func LibtrustKeyID(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("signing: key id: %w", err)
	}
	sum := sha256.Sum256(der)
	s := strings.TrimRight(base32.StdEncoding.EncodeToString(sum[:30]), "=")
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(s[i : i+4])
	}
	return b.String(), nil
}

// DefaultAlgorithm is the JWS algorithm for a key type: ES256/ES384/ES512 by
// curve, RS256 for RSA, EdDSA for Ed25519.
func DefaultAlgorithm(pub crypto.PublicKey) (jose.SignatureAlgorithm, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return jose.ES256, nil
		case elliptic.P384():
			return jose.ES384, nil
		case elliptic.P521():
			return jose.ES512, nil
		}
		return "", fmt.Errorf("unsupported curve %s", k.Curve.Params().Name)
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return "", fmt.Errorf("RSA key of %d bits; at least 2048 are required", k.N.BitLen())
		}
		return jose.RS256, nil
	case ed25519.PublicKey:
		return jose.EdDSA, nil
	}
	return "", fmt.Errorf("unsupported key type %T", pub)
}

// checkAlgorithm reports whether alg can be used with pub.
func checkAlgorithm(pub crypto.PublicKey, alg jose.SignatureAlgorithm) error {
	def, err := DefaultAlgorithm(pub)
	if err != nil {
		return err
	}
	if alg == def {
		return nil
	}
	if _, ok := pub.(*rsa.PublicKey); ok && (alg == jose.PS256 || alg == jose.RS384 || alg == jose.RS512 || alg == jose.PS384 || alg == jose.PS512) {
		return nil
	}
	return fmt.Errorf("algorithm %s does not fit a %s key", alg, def)
}

// V3OnlyAlgorithm reports whether registries before 3.0 refuse alg
// (distribution 2.8 verifies RS* and ES* only).
func V3OnlyAlgorithm(alg jose.SignatureAlgorithm) bool {
	switch alg {
	case jose.RS256, jose.RS384, jose.RS512, jose.ES256, jose.ES384, jose.ES512:
		return false
	}
	return true
}

// LoadKey reads a PEM private key (PKCS#8, PKCS#1 or SEC 1) and, when
// certPath is not empty, its PEM certificate, which must hold the same public
// key. alg may be empty for the key type's default.
func LoadKey(keyPath, certPath string, alg jose.SignatureAlgorithm) (*Key, error) {
	raw, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, fmt.Errorf("signing: read private key: %w", err)
	}
	signer, err := ParsePrivateKey(raw)
	if err != nil {
		return nil, fmt.Errorf("signing: %s: %w", keyPath, err)
	}
	k := &Key{Signer: signer, Source: keyPath}
	if certPath != "" {
		raw, err := os.ReadFile(certPath)
		if err != nil {
			return nil, fmt.Errorf("signing: read certificate: %w", err)
		}
		if k.Certificate, err = ParseCertificate(raw); err != nil {
			return nil, fmt.Errorf("signing: %s: %w", certPath, err)
		}
		if !publicKeysEqual(k.Certificate.PublicKey, signer.Public()) {
			return nil, fmt.Errorf("signing: %s does not certify the key in %s", certPath, keyPath)
		}
	}
	if err := k.init(alg); err != nil {
		return nil, fmt.Errorf("signing: %s: %w", keyPath, err)
	}
	return k, nil
}

// NewKey wraps an in-memory key (tests, quick-start).
func NewKey(signer crypto.Signer, cert *x509.Certificate, alg jose.SignatureAlgorithm) (*Key, error) {
	k := &Key{Signer: signer, Certificate: cert}
	if err := k.init(alg); err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	return k, nil
}

func (k *Key) init(alg jose.SignatureAlgorithm) error {
	pub := k.Signer.Public()
	if alg == "" {
		def, err := DefaultAlgorithm(pub)
		if err != nil {
			return err
		}
		alg = def
	} else if err := checkAlgorithm(pub, alg); err != nil {
		return err
	}
	k.Algorithm = alg
	id, err := LibtrustKeyID(pub)
	if err != nil {
		return err
	}
	k.KeyID = id
	return nil
}

// ParsePrivateKey decodes the first PEM private key block of raw.
func ParsePrivateKey(raw []byte) (crypto.Signer, error) {
	for {
		var block *pem.Block
		block, raw = pem.Decode(raw)
		if block == nil {
			return nil, errors.New("no PEM private key found")
		}
		var key any
		var err error
		switch block.Type {
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", block.Type, err)
		}
		s, ok := key.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("unsupported private key type %T", key)
		}
		return s, nil
	}
}

// ParseCertificate decodes the first PEM certificate of raw.
func ParseCertificate(raw []byte) (*x509.Certificate, error) {
	for {
		var block *pem.Block
		block, raw = pem.Decode(raw)
		if block == nil {
			return nil, errors.New("no PEM certificate found")
		}
		if block.Type == "CERTIFICATE" {
			return x509.ParseCertificate(block.Bytes)
		}
	}
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	e, ok := a.(equaler)
	return ok && e.Equal(b)
}

// JWK returns the public key as a JWK with the key's kid and algorithm.
func (k *Key) JWK() jose.JSONWebKey {
	return jose.JSONWebKey{Key: k.Signer.Public(), KeyID: k.KeyID, Algorithm: string(k.Algorithm), Use: "sig"}
}

// JWKS returns the public keys of keys as a key set, in order.
func JWKS(keys []*Key) jose.JSONWebKeySet {
	set := jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, 0, len(keys))}
	for _, k := range keys {
		set.Keys = append(set.Keys, k.JWK())
	}
	return set
}
