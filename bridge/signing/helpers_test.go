package signing

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	crand "crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"
)

// seqReader is a deterministic random source for golden tests.
type seqReader struct{ r *rand.ChaCha8 }

func newSeqReader() io.Reader {
	return &seqReader{r: rand.NewChaCha8([32]byte{1, 2, 3})}
}

func (s *seqReader) Read(p []byte) (int, error) { return s.r.Read(p) }

func testKey(t testing.TB) *Key {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), newSeqReader())
	if err != nil {
		t.Fatal(err)
	}
	return certifiedKey(t, priv)
}

// certifiedKey wraps priv with a fixed self-signed certificate.
func certifiedKey(t testing.TB, priv crypto.Signer) *Key {
	t.Helper()
	cert, err := selfSigned(priv)
	if err != nil {
		t.Fatal(err)
	}
	k, err := NewKey(priv, cert, "")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// selfSigned makes a fixed self-signed certificate for signer.
func selfSigned(signer crypto.Signer) (*x509.Certificate, error) {
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "regbridge-test"},
		NotBefore:             time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(crand.Reader, tmpl, tmpl, signer.Public(), signer)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

// decodeSegment decodes one base64url JSON segment of a compact JWS.
func decodeSegment(seg string, v any) error {
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}
