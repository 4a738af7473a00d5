package signing

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/regbridge/regbridge/providers"
)

// issued makes a CA and a leaf certificate for signer issued by it.
func issued(t *testing.T, signer crypto.Signer) (leaf, ca *x509.Certificate) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "regbridge-test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	if ca, err = x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "regbridge-test"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	if der, err = x509.CreateCertificate(rand.Reader, leafTmpl, ca, signer.Public(), caKey); err != nil {
		t.Fatal(err)
	}
	if leaf, err = x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	return leaf, ca
}

// writePKCS12 encodes signer, leaf and chain with password into dir/name.
func writePKCS12(t *testing.T, dir, name string, signer crypto.Signer, leaf *x509.Certificate, chain []*x509.Certificate, password string) string {
	t.Helper()
	raw, err := pkcs12.Modern.Encode(signer, leaf, chain, password)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAPKCS12KeyLoadsWithItsChainAndItsTokensVerifyToTheCA(t *testing.T) {
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	cases := []struct {
		name   string
		signer crypto.Signer
		alg    jose.SignatureAlgorithm
		file   string
	}{
		{"ES256", ecKey, "", "key.p12"},
		{"PS256", rsaKey, jose.PS256, "key.pfx"},
		{"EdDSA", edKey, "", "KEY.P12"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			leaf, ca := issued(t, tc.signer)
			path := writePKCS12(t, t.TempDir(), tc.file, tc.signer, leaf, []*x509.Certificate{ca}, "s3cret")
			key, err := KeyFile{PrivateKey: path, Password: "s3cret", Algorithm: tc.alg}.Load()
			if err != nil {
				t.Fatal(err)
			}
			if key.Algorithm != jose.SignatureAlgorithm(tc.name) || !key.Certificate.Equal(leaf) || len(key.Chain) != 1 || !key.Chain[0].Equal(ca) {
				t.Fatalf("loaded %s, certificate %v, chain of %d", key.Algorithm, key.Certificate.Subject, len(key.Chain))
			}
			m, err := NewMinter(key, HeaderX5C, nil)
			if err != nil {
				t.Fatal(err)
			}
			tok, _, err := m.Mint(Registry{Issuer: "i", Service: "s"}, "alice", nil, time.Now(), time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			x5c := verifyToken(t, tok, key)
			if len(x5c) != 2 {
				t.Fatalf("x5c has %d entries, want the leaf and the CA", len(x5c))
			}
			// What a registry does: the leaf must chain to the bundle (the CA
			// alone) through the intermediates of x5c[1:].
			certs := make([]*x509.Certificate, len(x5c))
			for i, e := range x5c {
				der, _ := base64.StdEncoding.DecodeString(e)
				if certs[i], err = x509.ParseCertificate(der); err != nil {
					t.Fatal(err)
				}
			}
			roots := x509.NewCertPool()
			roots.AddCert(ca)
			inter := x509.NewCertPool()
			for _, c := range certs[1:] {
				inter.AddCert(c)
			}
			if _, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
				t.Fatalf("x5c does not chain to the CA: %v", err)
			}
		})
	}
}

func TestAPKCS12FileWithoutAPasswordLoads(t *testing.T) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf, _ := issued(t, k)
	raw, err := pkcs12.Passwordless.Encode(k, leaf, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "k.p12")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	key, err := LoadPKCS12(path, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(key.Chain) != 0 || key.Algorithm != jose.ES256 {
		t.Fatalf("chain %d, algorithm %s", len(key.Chain), key.Algorithm)
	}
}

func TestAWrongPKCS12PasswordIsAClearErrorNamingTheFile(t *testing.T) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf, _ := issued(t, k)
	path := writePKCS12(t, t.TempDir(), "signing.p12", k, leaf, nil, "right")
	for _, pw := range []providers.Secret{"wrong", ""} {
		_, err := KeyFile{PrivateKey: path, Password: pw}.Load()
		if !errors.Is(err, ErrPKCS12Password) {
			t.Fatalf("password %q: %v, want ErrPKCS12Password", string(pw), err)
		}
		if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "password is wrong") {
			t.Fatalf("error %q does not name the file and the cause", err)
		}
		if strings.Contains(err.Error(), "right") {
			t.Fatalf("error %q shows the password", err)
		}
	}
}

func TestKeyFileRefusesAPasswordForPEMAndACertificateBesidePKCS12(t *testing.T) {
	dir := t.TempDir()
	signer, cert, err := GenerateKey(jose.ES256, "t", time.Hour, time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	keyPath, certPath := filepath.Join(dir, "k.pem"), filepath.Join(dir, "c.pem")
	if err := WriteKeyFiles(keyPath, certPath, signer, cert); err != nil {
		t.Fatal(err)
	}
	if _, err := (KeyFile{PrivateKey: keyPath, Password: "x"}).Load(); err == nil || !strings.Contains(err.Error(), "PKCS#12") {
		t.Errorf("a password for a PEM key: %v", err)
	}
	p12 := writePKCS12(t, dir, "k.p12", signer, cert, nil, "pw")
	if _, err := (KeyFile{PrivateKey: p12, Certificate: certPath, Password: "pw"}).Load(); err == nil || !strings.Contains(err.Error(), "its own certificate") {
		t.Errorf("a certificate beside a PKCS#12 key: %v", err)
	}
}

func TestAPKCS12CertificateOfAnotherKeyIsRefused(t *testing.T) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf, _ := issued(t, other)
	raw, err := pkcs12.Modern.Encode(k, leaf, nil, "pw")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := ParsePKCS12(raw, "pw"); err == nil || !strings.Contains(err.Error(), "does not certify") {
		t.Fatalf("got %v", err)
	}
}
