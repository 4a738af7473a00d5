package signing

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
)

func freshKey(t testing.TB) *Key {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return certifiedKey(t, priv)
}

func TestASealedPayloadOpensWithEveryConfiguredKeyAndNoOther(t *testing.T) {
	oldKey, newKey, otherKey := freshKey(t), freshKey(t), freshKey(t)
	before, err := NewSealer([]*Key{oldKey})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := before.Seal([]byte(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if !LooksLikeRefreshToken(tok) || strings.Count(tok, ".") != 4 {
		t.Fatalf("sealed token %q has not the refresh-token shape", tok)
	}
	rotated, err := NewSealer([]*Key{newKey, oldKey})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := rotated.Open(tok, 16<<10); err != nil || string(got) != `{"a":1}` {
		t.Fatalf("after rotation: %q, %v", got, err)
	}
	other, err := NewSealer([]*Key{otherKey})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Open(tok, 16<<10); !errors.Is(err, ErrNotSealed) {
		t.Fatalf("another key opened the token: %v", err)
	}
	if _, err := rotated.Open(tok, len(tok)-1); !errors.Is(err, ErrNotSealed) {
		t.Fatalf("a token over the size limit: %v", err)
	}
}

func TestASealerNeedsAKey(t *testing.T) {
	if _, err := NewSealer(nil); err == nil {
		t.Fatal("no error")
	}
}

func TestLooksLikeRefreshTokenTellsARefreshTokenFromARegistryToken(t *testing.T) {
	m, err := NewMinter(testKey(t), HeaderKID, nil)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := m.Sign(&Claims{Access: []AccessEntry{}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		in   string
		want bool
	}{
		{"a registry token", jws, false},
		{"five parts without the type", "e30.a.b.c.d", false},
		{"five parts with the type", "eyJ0eXAiOiJyZWdicmlkZ2UtcmVmcmVzaCtqd2UifQ.a.b.c.d", true},
		{"an oversized header", strings.Repeat("A", 2000) + ".a.b.c.d", false},
		{"empty", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := LooksLikeRefreshToken(tc.in); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// FuzzSealerOpen: Open never panics and opens nothing but what was sealed.
func FuzzSealerOpen(f *testing.F) {
	s, err := NewSealer([]*Key{testKey(f)})
	if err != nil {
		f.Fatal(err)
	}
	tok, err := s.Seal([]byte("payload"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tok)
	f.Add("eyJ0eXAiOiJyZWdicmlkZ2UtcmVmcmVzaCtqd2UifQ.a.b.c.d")
	f.Add("e30.e30.e30")
	f.Fuzz(func(t *testing.T, in string) {
		got, err := s.Open(in, 16<<10)
		if err != nil {
			if !errors.Is(err, ErrNotSealed) {
				t.Fatalf("error %v is not ErrNotSealed", err)
			}
			return
		}
		if string(got) != "payload" {
			t.Fatalf("opened %q, which was never sealed", got)
		}
	})
}
