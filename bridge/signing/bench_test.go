package signing

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

var benchRegistry = Registry{Service: "registry.bench", Issuer: "regbridge-bench"}

var benchAccess = []AccessEntry{{Type: "repository", Name: "bench/app", Actions: []string{"pull", "push"}}}

func BenchmarkMint(b *testing.B) {
	key := testKey(b)
	for _, mode := range []HeaderMode{HeaderX5C, HeaderKID} {
		b.Run(string(mode), func(b *testing.B) {
			m, err := NewMinter(key, mode, nil)
			if err != nil {
				b.Fatal(err)
			}
			now := time.Now()
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := m.Mint(benchRegistry, "bench", benchAccess, now, 5*time.Minute); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMintGoJose signs the same claims with go-jose's signer in the
// same header form: the cost compactSigner exists to avoid.
func BenchmarkMintGoJose(b *testing.B) {
	key := testKey(b)
	for _, mode := range []HeaderMode{HeaderX5C, HeaderKID} {
		b.Run(string(mode), func(b *testing.B) {
			opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", key.KeyID)
			if mode == HeaderX5C {
				opts = opts.WithHeader("x5c", []string{base64.StdEncoding.EncodeToString(key.Certificate.Raw)})
			}
			signer, err := jose.NewSigner(jose.SigningKey{Algorithm: key.Algorithm, Key: key.Signer}, opts)
			if err != nil {
				b.Fatal(err)
			}
			m, err := NewMinter(key, mode, nil)
			if err != nil {
				b.Fatal(err)
			}
			now := time.Now()
			b.ReportAllocs()
			for b.Loop() {
				id, err := m.NewID()
				if err != nil {
					b.Fatal(err)
				}
				c := &Claims{Issuer: benchRegistry.Issuer, Subject: "bench", Audience: benchRegistry.Service,
					IssuedAt: now.Unix(), NotBefore: now.Unix(), Expiry: now.Add(5 * time.Minute).Unix(), ID: id, Access: benchAccess}
				payload, err := json.Marshal(c)
				if err != nil {
					b.Fatal(err)
				}
				jws, err := signer.Sign(payload)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := jws.CompactSerialize(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRawSignatureES256 is the floor: one SHA-256 and one ECDSA P-256
// signature over a token-sized input, nothing else, with Go's default
// hedged nonce (the unit of docs/performance.md) and with the RFC 6979
// nonce the compact signer uses.
func BenchmarkRawSignatureES256(b *testing.B) {
	key := testKey(b)
	input := make([]byte, 900)
	for _, bc := range []struct {
		name   string
		random io.Reader
	}{{"hedged", rand.Reader}, {"rfc6979", nil}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				d := sha256.Sum256(input)
				if _, err := key.Signer.Sign(bc.random, d[:], crypto.SHA256); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
