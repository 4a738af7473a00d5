package signing

import (
	"encoding/json"
	"testing"
)

func TestFramedClaimsAreTheBytesOfJSONMarshal(t *testing.T) {
	cases := []struct {
		name string
		c    Claims
	}{
		{"one scope", Claims{Issuer: "regbridge", Subject: "alice", Audience: "registry.example", Expiry: 1796606599,
			NotBefore: 1796606299, IssuedAt: 1796606299, ID: "ce96a93438967049f358e98176bc081d",
			Access: []AccessEntry{{Type: "repository", Name: "team/app", Actions: []string{"pull", "push"}}}}},
		{"no access, an anonymous subject", Claims{Issuer: "i", Audience: "a", Access: []AccessEntry{}}},
		{"nil access and nil actions", Claims{Access: []AccessEntry{{Type: "registry", Name: "catalog"}}}},
		{"several entries", Claims{Access: []AccessEntry{{Type: "repository", Name: "a", Actions: []string{"*"}},
			{Type: "repository", Name: "b/c", Actions: []string{}}}}},
		{"text json.Marshal escapes", Claims{Issuer: "a\"b\\c", Subject: "<script>&\u2028é\xff\x01", Audience: "\t\n",
			Expiry: -5, Access: []AccessEntry{{Type: "t<", Name: "ü", Actions: []string{"a&b"}}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want, err := json.Marshal(&tc.c)
			if err != nil {
				t.Fatal(err)
			}
			if got := appendClaims(nil, &tc.c); string(got) != string(want) {
				t.Errorf("framed\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func FuzzFramedClaimsMatchJSONMarshal(f *testing.F) {
	f.Add("regbridge", "alice", "registry", "repository", "team/app", "pull", int64(1796606599))
	f.Add("\x00", "<&>", "\u2028", "\xff", "é", "\"", int64(-1))
	f.Fuzz(func(t *testing.T, iss, sub, aud, typ, name, action string, exp int64) {
		c := Claims{Issuer: iss, Subject: sub, Audience: aud, Expiry: exp, NotBefore: exp, IssuedAt: exp, ID: name,
			Access: []AccessEntry{{Type: typ, Name: name, Actions: []string{action, sub}}}}
		want, err := json.Marshal(&c)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendClaims(nil, &c); string(got) != string(want) {
			t.Errorf("framed\n%q\nwant\n%q", got, want)
		}
	})
}
