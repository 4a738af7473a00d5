package signing

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"testing"
	"time"
)

func BenchmarkMint(b *testing.B) { benchmarkMint(b, false) }

// BenchmarkMintGoJose signs the same tokens through go-jose's signer, the
// path compactSigner replaces: the difference is what encoding the header
// once saves.
func BenchmarkMintGoJose(b *testing.B) { benchmarkMint(b, true) }

func benchmarkMint(b *testing.B, goJose bool) {
	key := testKey(b)
	for _, mode := range []HeaderMode{HeaderX5C, HeaderKID} {
		b.Run(string(mode), func(b *testing.B) {
			m, err := NewMinter(key, mode, nil)
			if err != nil {
				b.Fatal(err)
			}
			if goJose {
				m.compact = nil
			}
			reg := Registry{Service: "registry.bench", Issuer: "regbridge-bench"}
			access := []AccessEntry{{Type: "repository", Name: "bench/app", Actions: []string{"pull", "push"}}}
			now := time.Now()
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := m.Mint(reg, "bench", access, now, 5*time.Minute); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRawSignatureES256 is the floor: one SHA-256 and one ECDSA P-256
// signature over a token-sized input, nothing else.
func BenchmarkRawSignatureES256(b *testing.B) {
	key := testKey(b)
	input := make([]byte, 900)
	b.ReportAllocs()
	for b.Loop() {
		d := sha256.Sum256(input)
		if _, err := key.Signer.Sign(rand.Reader, d[:], crypto.SHA256); err != nil {
			b.Fatal(err)
		}
	}
}
