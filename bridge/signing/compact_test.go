package signing

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/go-jose/go-jose/v4"
)

func TestCompactSignerTokensVerifyWithGoJoseForEveryAlgorithm(t *testing.T) {
	ec := func(c elliptic.Curve) crypto.Signer { k, _ := ecdsa.GenerateKey(c, rand.Reader); return k }
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	cases := []struct {
		alg    jose.SignatureAlgorithm
		signer crypto.Signer
	}{
		{jose.ES256, ec(elliptic.P256())}, {jose.ES384, ec(elliptic.P384())}, {jose.ES512, ec(elliptic.P521())},
		{jose.RS256, rsaKey}, {jose.RS512, rsaKey}, {jose.PS256, rsaKey}, {jose.EdDSA, edKey},
	}
	for _, tc := range cases {
		for _, mode := range []HeaderMode{HeaderX5C, HeaderKID} {
			t.Run(string(tc.alg)+" "+string(mode), func(t *testing.T) {
				cert, err := selfSigned(tc.signer)
				if err != nil {
					t.Fatal(err)
				}
				key, err := NewKey(tc.signer, cert, tc.alg)
				if err != nil {
					t.Fatal(err)
				}
				m, err := NewMinter(key, mode, nil)
				if err != nil {
					t.Fatal(err)
				}
				c := &Claims{Issuer: "i", Subject: "s", Audience: "a", Expiry: 2, ID: "j", Access: []AccessEntry{}}
				for i := range 20 { // ECDSA r and s of every length
					c.ID = fmt.Sprint("j", i)
					tok, err := m.Sign(c)
					if err != nil {
						t.Fatal(err)
					}
					jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{tc.alg})
					if err != nil {
						t.Fatal(err)
					}
					payload, err := jws.Verify(tc.signer.Public())
					if err != nil {
						t.Fatalf("go-jose does not verify the token: %v", err)
					}
					want, _ := json.Marshal(c)
					if string(payload) != string(want) {
						t.Fatalf("payload %s, want %s", payload, want)
					}
					var h map[string]any
					if err := decodeSegment(strings.Split(tok, ".")[0], &h); err != nil {
						t.Fatal(err)
					}
					_, hasX5C := h["x5c"]
					if h["kid"] != key.KeyID || h["typ"] != "JWT" || h["alg"] != string(tc.alg) || (mode == HeaderX5C) != hasX5C {
						t.Fatalf("header %v", h)
					}
				}
			})
		}
	}
}

// TestECDSATokensAreSignedWithRFC6979Nonces checks the signature step
// against RFC 6979 appendix A.2.5 (P-256, SHA-256, message "sample"): the
// nonce comes from the key and the message, never from the random source,
// so a token's signature is the same for the same claims and differs with
// the jti.
func TestECDSATokensAreSignedWithRFC6979Nonces(t *testing.T) {
	d, _ := hex.DecodeString("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721")
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := selfSigned(priv)
	if err != nil {
		t.Fatal(err)
	}
	key, err := NewKey(priv, cert, jose.ES256)
	if err != nil {
		t.Fatal(err)
	}
	// A random source that fails: an RFC 6979 signature never reads it.
	c, err := newCompactSigner(key, HeaderKID, iotest.ErrReader(errors.New("random source read")))
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256([]byte("sample"))
	sig, err := c.signature(h[:])
	if err != nil {
		t.Fatal(err)
	}
	const want = "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716" +
		"f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8"
	if got := hex.EncodeToString(sig); got != want {
		t.Fatalf("signature of \"sample\"\n got %s\nwant %s (RFC 6979 A.2.5)", got, want)
	}
	m, err := NewMinter(key, HeaderKID, nil)
	if err != nil {
		t.Fatal(err)
	}
	claims := &Claims{Issuer: "i", Subject: "s", Audience: "a", Expiry: 2, ID: "j1", Access: []AccessEntry{}}
	sign := func() string {
		tok, err := m.Sign(claims)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	a, b := sign(), sign()
	claims.ID = "j2"
	other := sign()
	if a != b || a == other {
		t.Fatalf("same claims gave different tokens (%v) or another jti the same one (%v)", a != b, a == other)
	}
}

func TestEcdsaRawRefusesMalformedSignatures(t *testing.T) {
	cases := []struct {
		name string
		der  []byte
	}{
		{"empty", nil},
		{"not a sequence", []byte{0x02, 0x01, 0x01}},
		{"trailing bytes", []byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00}},
		{"a negative integer", []byte{0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x01}},
		{"an integer too long", append([]byte{0x30, 0x26, 0x02, 0x21}, append(make([]byte, 0), strings.Repeat("\x7f", 33)+"\x02\x01\x01"...)...)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ecdsaRaw(tc.der, 32); err == nil {
				t.Error("no error")
			}
		})
	}
	if _, err := ecdsaRaw([]byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02}, 32); err != nil {
		t.Errorf("a short valid signature: %v", err)
	}
}

// opaqueSigner hides the key's type, as a hardware or KMS signer does.
type opaqueSigner struct{ crypto.Signer }

func TestTokensOfASignerOfUnknownTypeVerifyWithGoJose(t *testing.T) {
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	for _, s := range []crypto.Signer{ecKey, edKey} {
		signer := opaqueSigner{s}
		key, err := NewKey(signer, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Run(string(key.Algorithm), func(t *testing.T) {
			m, err := NewMinter(key, HeaderKID, nil)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := m.Sign(&Claims{Access: []AccessEntry{}})
			if err != nil {
				t.Fatal(err)
			}
			jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{key.Algorithm})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := jws.Verify(s.Public()); err != nil {
				t.Fatalf("go-jose does not verify the token: %v", err)
			}
		})
	}
}
