package signing

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
	"software.sslmate.com/src/go-pkcs12"
)

// FuzzParsePrivateKey: the PEM key parser never panics, and what it accepts
// is a signer with a public key.
func FuzzParsePrivateKey(f *testing.F) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), newSeqReader())
	if err != nil {
		f.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	sec1, _ := x509.MarshalECPrivateKey(priv)
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}))
	f.Add([]byte("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"))
	f.Add([]byte("not pem"))
	f.Fuzz(func(t *testing.T, in []byte) {
		s, err := ParsePrivateKey(in)
		if err == nil && (s == nil || s.Public() == nil) {
			t.Fatal("accepted a key without a public key")
		}
	})
}

// FuzzParsePKCS12: the PKCS#12 parser never panics, and what it accepts has
// a certificate of its own key.
func FuzzParsePKCS12(f *testing.F) {
	priv, cert, err := GenerateKey("", "fuzz", time.Hour, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), newSeqReader())
	if err != nil {
		f.Fatal(err)
	}
	for _, pw := range []string{"pw", ""} {
		raw, err := pkcs12.Modern.WithRand(newSeqReader()).Encode(priv, cert, nil, pw)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw, pw)
	}
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x03}, "")
	f.Fuzz(func(t *testing.T, in []byte, pw string) {
		s, c, _, err := ParsePKCS12(in, providers.Secret(pw))
		if err != nil {
			return
		}
		if s == nil || c == nil || !publicKeysEqual(c.PublicKey, s.Public()) {
			t.Fatal("accepted a file whose certificate is not of its key")
		}
	})
}
