package signing

import (
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// verifyToken checks tok with go-jose against the public key of key's
// certificate and returns the header's x5c entries.
func verifyToken(t *testing.T, tok string, key *Key) []string {
	t.Helper()
	jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{key.Algorithm})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jws.Verify(key.Certificate.PublicKey); err != nil {
		t.Fatalf("go-jose does not verify the token: %v", err)
	}
	var h struct {
		Alg string   `json:"alg"`
		X5C []string `json:"x5c"`
	}
	if err := decodeSegment(strings.Split(tok, ".")[0], &h); err != nil {
		t.Fatal(err)
	}
	if h.Alg != string(key.Algorithm) {
		t.Fatalf("header alg %s, want %s", h.Alg, key.Algorithm)
	}
	return h.X5C
}

func TestEveryKeygenAlgorithmGeneratesLoadsAndMintsAVerifyingToken(t *testing.T) {
	now := time.Now()
	for _, alg := range []jose.SignatureAlgorithm{jose.ES256, jose.RS256, jose.PS256, jose.EdDSA} {
		t.Run(string(alg), func(t *testing.T) {
			signer, cert, err := GenerateKey(alg, "regbridge-test", time.Hour, now, nil)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			keyPath, certPath := filepath.Join(dir, "k.pem"), filepath.Join(dir, "c.pem")
			if err := WriteKeyFiles(keyPath, certPath, signer, cert); err != nil {
				t.Fatal(err)
			}
			key, err := KeyFile{PrivateKey: keyPath, Certificate: certPath, Algorithm: alg}.Load()
			if err != nil {
				t.Fatal(err)
			}
			if key.Algorithm != alg {
				t.Fatalf("loaded with %s, want %s", key.Algorithm, alg)
			}
			for _, mode := range []HeaderMode{HeaderX5C, HeaderKID} {
				m, err := NewMinter(key, mode, nil)
				if err != nil {
					t.Fatal(err)
				}
				tok, _, err := m.Mint(Registry{Issuer: "i", Service: "s"}, "alice", nil, now, time.Minute)
				if err != nil {
					t.Fatal(err)
				}
				x5c := verifyToken(t, tok, key)
				if mode == HeaderX5C && (len(x5c) != 1 || x5c[0] != base64.StdEncoding.EncodeToString(cert.Raw)) {
					t.Fatalf("x5c %v is not the generated certificate", x5c)
				}
			}
		})
	}
}

func TestKeygenRefusesAnAlgorithmItDoesNotOffer(t *testing.T) {
	if _, _, err := GenerateKey(jose.HS256, "x", time.Hour, time.Now(), nil); err == nil || !strings.Contains(err.Error(), "EdDSA") {
		t.Fatalf("HS256: %v", err)
	}
}

func TestV3OnlyAlgorithmMarksWhatDistribution28Refuses(t *testing.T) {
	for alg, want := range map[jose.SignatureAlgorithm]bool{jose.ES256: false, jose.RS256: false, jose.PS256: true, jose.EdDSA: true} {
		if got := V3OnlyAlgorithm(alg); got != want {
			t.Errorf("%s: %v, want %v", alg, got, want)
		}
	}
}
