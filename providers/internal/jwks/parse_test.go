package jwks

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

func marshalKey(t *testing.T, k jose.JSONWebKey) json.RawMessage {
	t.Helper()
	b, err := k.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseKeepsOnlyUsablePublicSigningKeys(t *testing.T) {
	ec := ecKey(t, "ec")
	edPub, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsa2048, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		key  json.RawMessage
		keep bool
	}{
		{"an EC public key", marshalKey(t, ec), true},
		{"an Ed25519 public key", marshalKey(t, jose.JSONWebKey{Key: edPub, KeyID: "ed"}), true},
		{"a 2048-bit RSA public key", marshalKey(t, jose.JSONWebKey{Key: &rsa2048.PublicKey, KeyID: "rsa"}), true},
		{"a 1024-bit RSA public key", marshalKey(t, jose.JSONWebKey{Key: &rsa1024.PublicKey, KeyID: "weak"}), false},
		{"an Ed25519 private key", marshalKey(t, jose.JSONWebKey{Key: edPriv, KeyID: "priv"}), false},
		{"an RSA private key", marshalKey(t, jose.JSONWebKey{Key: rsa2048, KeyID: "priv"}), false},
		{"a symmetric key", json.RawMessage(`{"kty":"oct","kid":"hmac","k":"c2VjcmV0c2VjcmV0c2VjcmV0"}`), false},
		{"an encryption key", marshalKey(t, jose.JSONWebKey{Key: ec.Key, KeyID: "enc", Use: "enc"}), false},
		{"an unknown key type", json.RawMessage(`{"kty":"PQ","kid":"future","x":"AA"}`), false},
		{"a broken EC point", json.RawMessage(`{"kty":"EC","crv":"P-256","kid":"bad","x":"AA","y":"AA"}`), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			doc := fmt.Sprintf(`{"keys":[%s,%s]}`, tt.key, marshalKey(t, ecKey(t, "other")))
			keys, err := Parse([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			if kept := len(keys) == 2; kept != tt.keep {
				t.Errorf("kept = %v, want %v", kept, tt.keep)
			}
			for _, k := range keys {
				if !k.IsPublic() {
					t.Errorf("private material kept under kid %q", k.KeyID)
				}
			}
		})
	}
}

func TestParseRefusesAKeySetThatIsEmptyOversizedOrNotJSON(t *testing.T) {
	many := make([]string, MaxKeys+1)
	for i := range many {
		many[i] = string(marshalKey(t, ecKey(t, fmt.Sprint(i))))
	}
	full := make([]string, MaxKeys)
	copy(full, many)
	for _, tt := range []struct {
		name, doc string
		ok        bool
	}{
		{"no keys", `{"keys":[]}`, false},
		{"no keys member", `{}`, false},
		{"only unusable keys", `{"keys":[{"kty":"oct","k":"AAAA"}]}`, false},
		{"not JSON", `{"keys":`, false},
		{"keys not an array", `{"keys":{}}`, false},
		{"more than MaxKeys usable keys", `{"keys":[` + strings.Join(many, ",") + `]}`, false},
		{"exactly MaxKeys usable keys", `{"keys":[` + strings.Join(full, ",") + `]}`, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc))
			if (err == nil) != tt.ok {
				t.Errorf("Parse: err = %v, want ok = %v", err, tt.ok)
			}
		})
	}
}

func TestMatchComparesTheKidAndThePublishedAlgOnly(t *testing.T) {
	a, b := ecKey(t, "a"), ecKey(t, "b")
	noAlg := ecKey(t, "c")
	noAlg.Algorithm = ""
	keys := []jose.JSONWebKey{a, b, noAlg}
	for _, tt := range []struct {
		name, alg, kid string
		hasKID         bool
		want           int
	}{
		{"a token without kid is tried against every key of its alg", "ES256", "", false, 3},
		{"a token with kid is tried against that key only", "ES256", "a", true, 1},
		{"a key published for another alg is never tried", "ES384", "a", true, 0},
		{"a key published without alg is tried for any alg", "ES384", "c", true, 1},
		{"an empty kid is a kid, not a wildcard", "ES256", "", true, 0},
		{"an unknown kid matches nothing", "ES256", "../a", true, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := len(match(keys, tt.alg, tt.kid, tt.hasKID)); got != tt.want {
				t.Errorf("match = %d keys, want %d", got, tt.want)
			}
		})
	}
}
