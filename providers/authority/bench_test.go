package authority

import (
	"context"
	"testing"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/authority/authtest"
)

// BenchmarkAuthenticateJWT measures one access-token check against keys
// already fetched from the server, and the refusal of a token under a kid
// the server never published (within the refresh cooldown).
func BenchmarkAuthenticateJWT(b *testing.B) {
	srv := authtest.NewServer(b)
	cfg := jwtConfig(srv)
	cfg.SenderConstraint = ConstraintNone
	p, err := New("authority", cfg, providers.Deps{})
	if err != nil {
		b.Fatal(err)
	}
	tok := srv.JWT(authtest.Token{})
	if _, err := p.Authenticate(context.Background(), bearerCred(tok)); err != nil {
		b.Fatal(err)
	}
	b.Run("RS256 with held keys", func(b *testing.B) {
		for range b.N {
			if _, err := p.Authenticate(context.Background(), bearerCred(tok)); err != nil {
				b.Fatal(err)
			}
		}
	})
	forged := srv.JWT(authtest.Token{Mutate: func(h, _ map[string]any) { h["kid"] = "never-published" }})
	b.Run("unknown kid within the cooldown", func(b *testing.B) {
		for range b.N {
			if _, err := p.Authenticate(context.Background(), bearerCred(forged)); err == nil {
				b.Fatal("token under an unknown kid accepted")
			}
		}
	})
}
