package jwstest

import (
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

func TestEverySignedAlgorithmVerifiesWithGoJose(t *testing.T) {
	for _, alg := range []string{"ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			k, err := GenerateKey(alg)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := Compact(k, alg, []byte(`{"alg":"`+alg+`"}`), []byte(`{"sub":"x"}`))
			if err != nil {
				t.Fatal(err)
			}
			jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := jws.Verify(k.Public()); err != nil {
				t.Fatalf("go-jose does not verify: %v", err)
			}
		})
	}
}

func TestHMACAndNoneSign(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	tok, err := Compact(secret, "HS256", []byte(`{"alg":"HS256"}`), []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.HS256})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jws.Verify(secret); err != nil {
		t.Fatalf("HS256: %v", err)
	}
	if sig, err := Sign(nil, "none", []byte("x")); err != nil || sig != nil {
		t.Fatalf("none: %x %v", sig, err)
	}
	if _, err := Sign("not a key", "ES256", []byte("x")); err == nil {
		t.Fatal("a string key signed")
	}
}
