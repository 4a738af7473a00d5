package signing

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"strings"
	"testing"

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
				for range 20 { // ECDSA r and s of every length
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
