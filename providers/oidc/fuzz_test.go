package oidc

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/internal/jwks"
	"github.com/regbridge/regbridge/providers/oidc/oidctest"
)

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// fuzzSeeds are tokens near the edges of the parser.
func fuzzSeeds(valid string) []string {
	return []string{
		valid,
		"",
		"a.b.c",
		"..",
		b64(`{"alg":"none"}`) + "." + b64(`{"iss":"https://issuer.example"}`) + ".",
		b64(`{"alg":"RS256","alg":"none"}`) + "." + b64(`{}`) + "." + b64("sig"),
		b64(`{"alg":"ES256","jku":"http://evil"}`) + "." + b64(`{"iss":"https://issuer.example","aud":"r"}`) + "." + b64("s"),
		b64(`{"alg":"ES256"}`) + "." + b64(strings.Repeat("[", 100)) + "." + b64("s"),
		b64(`{"alg":"ES256"}`) + "." + b64("{\"iss\":\"\xff\"}") + "." + b64("s"),
		b64(`{"alg":"ES256"}`) + "=." + b64(`{}`) + "." + b64("s"),
		`{"protected":"e30","payload":"e30","signature":"AA"}`,
	}
}

// FuzzParseToken checks that the strict parser never panics, never accepts a
// token outside the compact grammar, and that what it accepts round-trips.
func FuzzParseToken(f *testing.F) {
	k := oidctest.MustKey("ES256", "k")
	valid := oidctest.MintWith(k, map[string]any{"alg": "ES256", "kid": "k"}, map[string]any{"iss": "https://issuer.example"})
	for _, s := range fuzzSeeds(valid) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := parseToken(s)
		if err != nil {
			return
		}
		parts := strings.Split(s, ".")
		if len(parts) != 3 || len(s) > MaxTokenBytes {
			t.Fatalf("accepted a token with %d parts and %d bytes", len(parts), len(s))
		}
		if b64(string(tok.payload)) != parts[1] {
			t.Fatalf("payload does not round-trip")
		}
		if tok.header == nil || tok.claims == nil {
			t.Fatalf("accepted without a header or claims object")
		}
	})
}

// FuzzAuthenticateRoutesOnlyDeclaredIssuerAndNeverAcceptsForgeries feeds
// arbitrary passwords to a provider with inline keys and a client that
// fails the test on any request: nothing may be fetched, nothing accepted
// unless it carries a real signature, and every refusal is a definite one.
func FuzzAuthenticateRoutesOnlyDeclaredIssuerAndNeverAcceptsForgeries(f *testing.F) {
	k := oidctest.MustKey("ES256", "k")
	now := time.Unix(1_800_000_000, 0)
	issuer := "https://issuer.example"
	claims := map[string]any{"iss": issuer, "sub": "s", "aud": "r", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	valid := oidctest.MintWith(k, map[string]any{"alg": "ES256", "kid": "k"}, claims)
	p, err := New("x", Config{Issuer: issuer, Audiences: []string{"r"}, Keys: jwks.Keys{JWKS: string(oidctest.JWKS(k))}},
		providers.Deps{Now: func() time.Time { return now }, HTTPClient: failClient(f)})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range fuzzSeeds(valid) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := p.Authenticate(context.Background(), providers.Credential{Scheme: providers.SchemeBasic, Secret: providers.Secret(s)})
		if err == nil {
			if s != valid {
				// Only the issuer's key can sign; a mutation that still
				// verifies must be the same token.
				tok, perr := parseToken(s)
				if perr != nil || tok.claims["iss"] != issuer || id.Subject == "" {
					t.Fatalf("accepted %q", s)
				}
			}
			return
		}
		if !errors.Is(err, providers.ErrInvalidCredential) {
			t.Fatalf("err = %v, want ErrInvalidCredential", err)
		}
	})
}

type panicTransport struct{}

func (panicTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	panic("unexpected request to " + r.URL.String())
}

// failClient is an HTTP client that panics on any request.
func failClient(testing.TB) *http.Client { return &http.Client{Transport: panicTransport{}} }
