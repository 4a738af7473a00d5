package oidc_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/oidc"
	"github.com/regbridge/regbridge/providers/oidc/oidctest"
)

// BenchmarkAuthenticate measures one ID-token check against keys already
// fetched from the issuer, and the refusal of a token under a kid the
// issuer never published (within the refresh cooldown).
func BenchmarkAuthenticate(b *testing.B) {
	for _, alg := range []string{"ES256", "RS256"} {
		b.Run(alg+" with held keys", func(b *testing.B) {
			e := benchEnv(b, alg)
			tok := e.is.Mint(e.claims())
			e.mustAccept(b, tok)
			b.ResetTimer()
			for range b.N {
				if _, err := e.auth(tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("unknown kid within the cooldown", func(b *testing.B) {
		e := benchEnv(b, "ES256")
		e.mustAccept(b, e.is.Mint(e.claims()))
		attacker := oidctest.MustKey("ES256", "attacker")
		toks := make([]string, 64)
		for i := range toks {
			toks[i] = oidctest.MintWith(attacker, map[string]any{"alg": "ES256", "kid": fmt.Sprintf("random-%d", i), "typ": "JWT"}, e.claims())
		}
		b.ResetTimer()
		for i := range b.N {
			if _, err := e.auth(toks[i%len(toks)]); err == nil {
				b.Fatal("forged token accepted")
			}
		}
	})
}

// benchEnv is newEnv for benchmarks: a fake issuer with one alg key.
func benchEnv(b *testing.B, alg string) *env {
	b.Helper()
	is := oidctest.New(b, oidctest.Options{Alg: alg})
	c := newClock()
	cfg := oidc.Config{Issuer: is.Issuer(), Audiences: []string{aud}, RefreshCooldown: time.Minute}
	p, err := oidc.New("ci", cfg, providers.Deps{Now: c.Now})
	if err != nil {
		b.Fatal(err)
	}
	return &env{is: is, clock: c, cfg: cfg, p: p}
}
