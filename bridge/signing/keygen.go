package signing

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// GenerateKey creates a signing key for alg (ES256 or RS256; RS256 keys have
// 3072 bits) and a self-signed certificate for it, valid for validity from
// now. The certificate is what a registry's rootcertbundle holds.
func GenerateKey(alg jose.SignatureAlgorithm, commonName string, validity time.Duration, now time.Time, random io.Reader) (crypto.Signer, *x509.Certificate, error) {
	if random == nil {
		random = rand.Reader
	}
	var signer crypto.Signer
	var err error
	switch alg {
	case jose.ES256, "":
		signer, err = ecdsa.GenerateKey(elliptic.P256(), random)
	case jose.RS256:
		signer, err = rsa.GenerateKey(random, 3072)
	default:
		return nil, nil, fmt.Errorf("signing: keygen: algorithm %s is not offered (use ES256 or RS256)", alg)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("signing: keygen: %w", err)
	}
	serial, err := rand.Int(random, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, fmt.Errorf("signing: keygen: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             now.Add(-5 * time.Minute),
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(random, tmpl, tmpl, signer.Public(), signer)
	if err != nil {
		return nil, nil, fmt.Errorf("signing: keygen: certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("signing: keygen: %w", err)
	}
	return signer, cert, nil
}

// WriteKeyFiles writes signer as PKCS#8 PEM with mode 0600 and cert as PEM
// with mode 0644, creating parent directories. It refuses to overwrite an
// existing key file.
func WriteKeyFiles(keyPath, certPath string, signer crypto.Signer, cert *x509.Certificate) error {
	der, err := x509.MarshalPKCS8PrivateKey(signer)
	if err != nil {
		return fmt.Errorf("signing: write key: %w", err)
	}
	for _, p := range []string{keyPath, certPath} {
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return fmt.Errorf("signing: write key: %w", err)
		}
	}
	f, err := os.OpenFile(keyPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("signing: write key: %w", err)
	}
	if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		f.Close()
		return fmt.Errorf("signing: write key: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("signing: write key: %w", err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
	if err := os.WriteFile(certPath, certPEM, 0o644); err != nil {
		return fmt.Errorf("signing: write certificate: %w", err)
	}
	return nil
}
