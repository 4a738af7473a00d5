package authority

import (
	"context"
	"errors"
	"testing"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/internal/jwks"
)

// FuzzAuthenticateJWT feeds arbitrary tokens to JWT validation with inline
// keys (no network): it must never panic and never accept.
func FuzzAuthenticateJWT(f *testing.F) {
	for _, s := range []string{
		"", "a.b.c", "eyJhbGciOiJub25lIn0.e30.",
		"eyJ0eXAiOiJhdCtqd3QiLCJhbGciOiJSUzI1NiIsImtpZCI6IngifQ.eyJpc3MiOiJodHRwczovL2EuZXhhbXBsZS8ifQ.AAAA",
		"eyJ0eXAiOiJhdCtqd3QiLCJhbGciOiJSUzI1NiIsImp3ayI6e319.e30.AA",
	} {
		f.Add(s)
	}
	set := `{"keys":[{"kty":"EC","crv":"P-256","kid":"k","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}`
	p, err := New("fuzz", Config{Issuer: "https://a.example/", Audiences: []string{"registry"}, Keys: jwks.Keys{JWKS: set}}, providers.Deps{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		_, err := p.Authenticate(context.Background(), providers.Credential{Scheme: providers.SchemeBearer, Secret: providers.Secret(tok)})
		if err == nil {
			t.Fatal("a fuzzed token was accepted")
		}
		if !errors.Is(err, providers.ErrInvalidCredential) {
			t.Fatalf("err = %v, want ErrInvalidCredential", err)
		}
	})
}

// FuzzParseForwardedCert feeds arbitrary client-certificate header values.
func FuzzParseForwardedCert(f *testing.F) {
	for _, s := range []string{"", "::", ":AAAA:", "-----BEGIN%20CERTIFICATE-----%0AAAAA%0A-----END%20CERTIFICATE-----", "%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		der, err := parseForwardedCert(s)
		if err == nil && len(der) > maxCertHeaderBytes {
			t.Fatal("certificate larger than the header cap")
		}
	})
}
