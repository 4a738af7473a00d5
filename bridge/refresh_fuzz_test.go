package bridge

import (
	"encoding/base64"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/regbridge/regbridge/bridge/signing"
)

// sealedForTest seals claims for the fixed test key.
func sealedForTest(t testing.TB) (*refreshSealer, string) {
	t.Helper()
	s, err := newRefreshSealer([]*signing.Key{testKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.seal(&RefreshClaims{Version: refreshVersion, ID: "0123", Audience: refreshAudiencePrefix + "registry.test",
		Service: "registry.test", Provider: "ci", Subject: "s", IssuedAt: 1, Expiry: 3600,
		Identity: &CapturedIdentity{Claims: map[string]any{"run_id": "1"}}})
	if err != nil {
		t.Fatal(err)
	}
	return s, tok
}

// FuzzOpenRefreshToken: the refresh-token parser never panics, accepts
// nothing that does not have the refresh-token shape, and what it accepts
// passes every format check.
func FuzzOpenRefreshToken(f *testing.F) {
	s, tok := sealedForTest(f)
	f.Add(tok)
	f.Add("rt-made-up")
	f.Add(strings.Replace(tok, ".", "..", 1))
	f.Add("eyJ0eXAiOiJyZWdicmlkZ2UtcmVmcmVzaCtqd2UifQ.a.b.c.d")
	f.Add("e30.e30.e30")
	f.Fuzz(func(t *testing.T, in string) {
		c, err := s.open(in, 16<<10)
		if err != nil {
			return
		}
		if !signing.LooksLikeRefreshToken(in) {
			t.Fatal("accepted a token without the refresh-token shape")
		}
		if c.Audience != refreshAudiencePrefix+c.Service || c.ID == "" || (c.Identity == nil) == (c.Credential == nil) {
			t.Fatalf("accepted claims that fail the format checks: %+v", c)
		}
	})
}

// FuzzDecodeRefreshClaims: the payload decoder never panics and never
// accepts claims without a service-bound audience.
func FuzzDecodeRefreshClaims(f *testing.F) {
	f.Add([]byte(`{"v":1,"jti":"a","aud":"urn:regbridge:refresh:s","svc":"s","prv":"p","sub":"x","iat":1,"exp":2,"idn":{}}`))
	f.Add([]byte(`{"v":1}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := decodeRefreshClaims(in)
		if err == nil && c.Audience != refreshAudiencePrefix+c.Service {
			t.Fatal("accepted a wrong audience")
		}
	})
}

func TestEveryOneCharacterChangeOfARefreshTokenIsRefused(t *testing.T) {
	s, tok := sealedForTest(t)
	if _, err := s.open(tok, 16<<10); err != nil {
		t.Fatalf("the untouched token: %v", err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
	for range 500 {
		i := rng.IntN(len(tok))
		c := alphabet[rng.IntN(len(alphabet))]
		if tok[i] == c {
			continue
		}
		mut := tok[:i] + string(c) + tok[i+1:]
		if _, err := s.open(mut, 16<<10); err == nil {
			// Base64url has spare bits in the last character of a part:
			// a change there may decode to the same bytes.
			if decodesSame(tok, mut) {
				continue
			}
			t.Fatalf("a token changed at %d (%q→%q) was accepted", i, tok[i], c)
		}
	}
}

// decodesSame reports whether two compact tokens decode to the same bytes.
func decodesSame(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	if len(pa) != len(pb) {
		return false
	}
	for i := range pa {
		da, ea := b64decode(pa[i])
		db, eb := b64decode(pb[i])
		if ea != nil || eb != nil || da != db {
			return false
		}
	}
	return true
}

func b64decode(s string) (string, error) {
	b, err := base64URL.DecodeString(s)
	return string(b), err
}

var base64URL = base64.RawURLEncoding
