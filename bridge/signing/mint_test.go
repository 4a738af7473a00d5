package signing

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/golden/name, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\ngot  %s\nwant %s", name, got, want)
	}
}

// fixedKey is a P-256 key with fixed bytes, so golden headers are stable.
func fixedKey(t *testing.T) *Key {
	t.Helper()
	raw := bytes.Repeat([]byte{7}, 32)
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), raw)
	if err != nil {
		t.Fatal(err)
	}
	return certifiedKey(t, priv)
}

func TestMintGoldenHeaderAndClaims(t *testing.T) {
	key := fixedKey(t)
	reg := Registry{Service: "registry.example.com", Issuer: "regbridge"}
	access := []AccessEntry{
		{Type: "repository", Name: "org/app", Actions: []string{"pull", "push"}},
		{Type: "registry", Name: "catalog", Actions: []string{"*"}},
	}
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for _, mode := range []HeaderMode{HeaderX5C, HeaderKID} {
		t.Run(string(mode), func(t *testing.T) {
			m, err := NewMinter(key, mode, newSeqReader())
			if err != nil {
				t.Fatal(err)
			}
			tok, _, err := m.Mint(reg, "alice", access, now, 5*time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			parts := strings.Split(tok, ".")
			header, _ := base64.RawURLEncoding.DecodeString(parts[0])
			payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
			var h map[string]any
			json.Unmarshal(header, &h)
			if x5c, ok := h["x5c"].([]any); ok {
				// The certificate has a random signature; check it, then stub it.
				der, _ := base64.StdEncoding.DecodeString(x5c[0].(string))
				if !bytes.Equal(der, key.Certificate.Raw) {
					t.Error("x5c[0] is not the key's certificate")
				}
				h["x5c"] = []string{"<leaf certificate>"}
			}
			hb, _ := json.MarshalIndent(h, "", "  ")
			golden(t, "header-"+string(mode)+".json", append(hb, '\n'))
			var pretty bytes.Buffer
			json.Indent(&pretty, payload, "", "  ")
			golden(t, "claims.json", append(pretty.Bytes(), '\n'))

			// The signature verifies separately, with the public key only.
			jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.ES256})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := jws.Verify(key.Signer.Public()); err != nil {
				t.Fatalf("signature: %v", err)
			}
		})
	}
}

func TestLibtrustKeyIDHasTheDistributionShape(t *testing.T) {
	key := fixedKey(t)
	parts := strings.Split(key.KeyID, ":")
	if len(parts) != 12 {
		t.Fatalf("kid %q has %d groups, want 12", key.KeyID, len(parts))
	}
	for _, p := range parts {
		if len(p) != 4 || strings.Trim(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
			t.Fatalf("kid %q group %q is not 4 base32 characters", key.KeyID, p)
		}
	}
}

func TestKeyRefusesWeakRSAAndMismatchedAlgorithms(t *testing.T) {
	small, err := rsa.GenerateKey(newSeqReader(), 1024)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewKey(small, nil, ""); err == nil || !strings.Contains(err.Error(), "2048") {
		t.Errorf("1024-bit RSA: %v", err)
	}
	ec := fixedKey(t)
	if _, err := NewKey(ec.Signer, nil, jose.RS256); err == nil {
		t.Error("RS256 on an EC key was accepted")
	}
}
