package github

import (
	"strings"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
)

func FuzzParseUser(f *testing.F) {
	for _, s := range []string{
		`{"id":101,"login":"alice","type":"User","site_admin":false,"suspended_at":null}`,
		`{"id":1,"login":"octo_acme","suspended_at":"2026-01-01T00:00:00Z"}`,
		`{"id":1.5,"login":"a"}`, `{"id":-1,"login":"a"}`, `{"ID":1,"login":"a"}`, `{"id":1,"login":"a","id":2}`, `[]`, `{"id":"1","login":"a"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		u, err := ParseUser(b)
		if err != nil {
			return
		}
		if u.ID <= 0 || !validLogin(u.Login) {
			t.Fatalf("accepted id %d login %q", u.ID, u.Login)
		}
	})
}

func FuzzParseGroups(f *testing.F) {
	for _, s := range []string{
		`[{"login":"Acme","id":1}]`, `[{"slug":"writers","organization":{"login":"Acme"}}]`, `[]`, `{}`,
		`[{"login":"аcme"}]`, `[{"slug":"a/b","organization":{"login":"x"}}]`, `[{"login":"a","login":"b"}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		orgs, oerr := ParseOrgs(b)
		teams, terr := ParseTeams(b)
		for _, g := range append(orgs, teams...) {
			if g != strings.ToLower(g) || strings.Contains(g, "..") || strings.Count(g, "/") > 1 {
				t.Fatalf("group %q", g)
			}
			for _, part := range strings.Split(g, "/") {
				if !validSlug(part) {
					t.Fatalf("group %q has the part %q", g, part)
				}
			}
		}
		if oerr == nil && terr == nil && len(orgs)+len(teams) > 0 {
			t.Fatalf("%q is both an org list and a team list", b)
		}
	})
}

func FuzzParseRepository(f *testing.F) {
	for _, s := range []string{
		`{"full_name":"acme/app","permissions":{"admin":false,"maintain":false,"push":true,"triage":true,"pull":true}}`,
		`{"full_name":"acme/app"}`, `{"full_name":"acme/app","permissions":{"PUSH":true}}`, `{"full_name":"acme/app","permissions":{"push":"true"}}`,
		`{"full_name":"acme/app","permissions":{"push":true,"push":false}}`, `{"full_name":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseRepository(b)
		if err != nil {
			return
		}
		if r.FullName == "" || r.Permission > providers.PermissionAdmin {
			t.Fatalf("accepted %+v", r)
		}
		if r.Permission != providers.PermissionNone && !strings.Contains(string(b), `"permissions"`) {
			t.Fatalf("%q gave %v without a permissions member", b, r.Permission)
		}
	})
}

func FuzzParseScopes(f *testing.F) {
	for _, s := range []string{"repo, user", "", "write:packages,read:org", " read:packages ", "repo,,user", "REPO", "a b", "x\r\ny"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		scopes, present, err := ParseScopes([]string{v})
		if err != nil {
			return
		}
		if !present {
			t.Fatal("a header value read as absent")
		}
		for _, s := range scopes {
			if !validScope(s) {
				t.Fatalf("accepted scope %q", s)
			}
		}
		if actions, ok := scopeCap(scopes); ok != (len(actions) > 0) {
			t.Fatalf("cap %q ok=%v", actions, ok)
		}
	})
}

func FuzzParseExpiry(f *testing.F) {
	for _, s := range []string{"2021-10-07 19:07:53 UTC", "2021-10-07 19:07:53 -0700", "2021-10-07 19:07:53 PST", "2021-10-07T19:07:53Z", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		exp, err := ParseExpiry([]string{v})
		if err != nil {
			return
		}
		if exp.IsZero() || exp.Location() != time.UTC {
			t.Fatalf("%q gave %v", v, exp)
		}
	})
}
