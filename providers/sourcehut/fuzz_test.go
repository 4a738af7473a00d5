package sourcehut

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers/sourcehut/srhttest"
)

// FuzzDecodeToken checks that whatever DecodeToken accepts is canonical:
// re-encoding the bytes gives the input back, and re-encoding the fields
// with the fake's independent encoder gives the payload back (no trailing
// bytes, no alternative varuints).
func FuzzDecodeToken(f *testing.F) {
	for _, s := range []string{vecT1, vecT1Prime, vecT2, vecT3, vecT6, vecX1, vecX2, vecX3, vecX4, vecX5, vecX6, vecX7, vecX8, "", "AAAA", vecT1 + "="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tok, raw, err := DecodeToken(s)
		if err != nil {
			return
		}
		if got := base64.RawStdEncoding.EncodeToString(raw); got != s {
			t.Fatalf("accepted a non-canonical encoding: %q re-encodes as %q", s, got)
		}
		if tok.Version != 0 {
			t.Fatalf("accepted version %d", tok.Version)
		}
		payload := srhttest.EncodePayload(srhttest.Token{
			Expires: tok.Expires.Unix(), Grants: tok.Grants, ClientID: tok.ClientID, Username: tok.Username,
		})
		if !bytes.Equal(payload, raw[:len(raw)-macSize]) {
			t.Fatalf("accepted a payload that is not the exact layout of its fields: %x vs %x", raw[:len(raw)-macSize], payload)
		}
	})
}

// FuzzParseGrants checks that accepted grant strings are exactly the single
// space join of well-formed elements.
func FuzzParseGrants(f *testing.F) {
	for _, s := range []string{
		"registry.example.com/REGISTRY:RW", "registry.example.com/REGISTRY", "meta.sr.ht/PROFILE:RO registry.example.com/REGISTRY:RW",
		" ", "a/b  c/d", "a/b:RW\n", "a/b:XX", "a/b/c", "a:1/B:RO", "/x", "x/", "x/y:", "x/y:RO:RW",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		gs, err := ParseGrants(s)
		if err != nil {
			return
		}
		raws := make([]string, len(gs))
		for i, g := range gs {
			raws[i] = g.Raw
			if g.Access != AccessRO && g.Access != AccessRW {
				t.Fatalf("access %q", g.Access)
			}
			if g.Service == "" || g.Scope == "" || strings.ContainsAny(g.Raw, " \t\r\n") || strings.Count(g.Raw, "/") != 1 {
				t.Fatalf("accepted malformed element %q", g.Raw)
			}
			want := g.Service + "/" + g.Scope
			if g.Raw != want && g.Raw != want+":"+string(g.Access) {
				t.Fatalf("element %q does not rebuild from its parts", g.Raw)
			}
		}
		if strings.Join(raws, " ") != s {
			t.Fatalf("elements %q do not rebuild %q", raws, s)
		}
	})
}

// FuzzAuthenticateLocalChecks feeds arbitrary passwords through the local
// checks: none may panic, and none may pass without being canonical.
func FuzzAuthenticateLocalChecks(f *testing.F) {
	for _, s := range []string{vecT1, vecT1Prime, vecT2, vecX1, vecX5, " ", strings.Repeat("A", 5000)} {
		f.Add(s)
	}
	p, err := New("s", Config{RegistryDomain: domain, AllowPersonalAccessTokens: true}, depsAt(time.Unix(1_900_000_000, 0)))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := p.check("Basic", s, p.now())
		if err != nil {
			return
		}
		if _, ok := p.CacheKey(basic(s)); !ok {
			t.Fatalf("passed the local checks without a canonical cache key: %q", s)
		}
		if len(d.maxActions) == 0 || d.token.Username == "" {
			t.Fatalf("decision without a cap or a user: %+v", d)
		}
	})
}
