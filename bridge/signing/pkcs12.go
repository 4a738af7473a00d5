package signing

import (
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-jose/go-jose/v4"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/regbridge/regbridge/providers"
)

// KeyFile names the files of one signing key.
type KeyFile struct {
	// PrivateKey is a PEM file (PKCS#8, PKCS#1 or SEC 1), or a PKCS#12 file
	// with the key and its certificate chain when its name ends in .p12 or
	// .pfx.
	PrivateKey string
	// Certificate is the PEM certificate of a PEM key (optional; needed for
	// the x5c header form). A PKCS#12 file carries its own.
	Certificate string
	// Password decrypts a PKCS#12 file; empty for one without a password.
	Password providers.Secret
	// Algorithm overrides the key type's default; empty for the default.
	Algorithm jose.SignatureAlgorithm
}

// IsPKCS12 reports whether path names a PKCS#12 file (.p12 or .pfx, in any
// case).
func IsPKCS12(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".p12", ".pfx":
		return true
	}
	return false
}

// Load reads the key of f: LoadKey for PEM, LoadPKCS12 for PKCS#12.
func (f KeyFile) Load() (*Key, error) {
	if !IsPKCS12(f.PrivateKey) {
		if f.Password != "" {
			return nil, fmt.Errorf("signing: %s: a password is for a PKCS#12 key (.p12 or .pfx), not a PEM one", f.PrivateKey)
		}
		return LoadKey(f.PrivateKey, f.Certificate, f.Algorithm)
	}
	if f.Certificate != "" {
		return nil, fmt.Errorf("signing: %s: a PKCS#12 key carries its own certificate; leave out %s", f.PrivateKey, f.Certificate)
	}
	return LoadPKCS12(f.PrivateKey, f.Password, f.Algorithm)
}

// LoadPKCS12 reads a PKCS#12 file holding one private key, its certificate
// and optionally the chain of CA certificates above it, which the x5c header
// then carries after the leaf. alg may be empty for the key type's default.
func LoadPKCS12(path string, password providers.Secret, alg jose.SignatureAlgorithm) (*Key, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("signing: read private key: %w", err)
	}
	signer, cert, chain, err := ParsePKCS12(raw, password)
	if err != nil {
		return nil, fmt.Errorf("signing: %s: %w", path, err)
	}
	k := &Key{Signer: signer, Certificate: cert, Chain: chain, Source: path}
	if err := k.init(alg); err != nil {
		return nil, fmt.Errorf("signing: %s: %w", path, err)
	}
	return k, nil
}

// ErrPKCS12Password is the error of a PKCS#12 file that the password does
// not open.
var ErrPKCS12Password = errors.New("the PKCS#12 password is wrong (or missing)")

// ParsePKCS12 decodes a DER PKCS#12 file: the private key, the leaf
// certificate, which must hold the key's public key, and the CA
// certificates, in the file's order.
func ParsePKCS12(raw []byte, password providers.Secret) (crypto.Signer, *x509.Certificate, []*x509.Certificate, error) {
	key, cert, chain, err := pkcs12.DecodeChain(raw, string(password))
	if errors.Is(err, pkcs12.ErrIncorrectPassword) {
		return nil, nil, nil, ErrPKCS12Password
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("parse PKCS#12: %w", err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, nil, nil, fmt.Errorf("unsupported private key type %T", key)
	}
	if !publicKeysEqual(cert.PublicKey, signer.Public()) {
		return nil, nil, nil, errors.New("the PKCS#12 certificate does not certify its private key")
	}
	return signer, cert, chain, nil
}
