package gitea

import (
	"net/http"
	"strings"
	"testing"

	"github.com/regbridge/regbridge/providers/internal/strictjson"
)

func FuzzParseRefusal(f *testing.F) {
	f.Add(403, `{"message":"token does not have at least one of required scope(s), required=[read:admin], token scope=read:organization,write:package","url":"x"}`)
	f.Add(403, `{"message":"This account is prohibited from signing in, please contact your site administrator."}`)
	f.Add(403, `{"message":"token does not have at least one of required scope(s): [read:user]"}`)
	f.Add(401, `{"message":"invalid username, password or token"}`)
	f.Add(403, `{"message":"token scope=all"}`)
	f.Fuzz(func(t *testing.T, status int, body string) {
		a := ParseRefusal(status, http.Header{}, []byte(body))
		if a.Scopes != nil {
			if a.kind != refusedScope {
				t.Fatalf("scopes %v from a %d answer of kind %d", a.Scopes, status, a.kind)
			}
			for _, s := range a.Scopes {
				if !knownScope(s) {
					t.Fatalf("unknown scope %q accepted", s)
				}
			}
		}
		if status == 401 && a.kind != refusedToken {
			t.Fatalf("401 classified as %d", a.kind)
		}
	})
}

func FuzzUserAnswer(f *testing.F) {
	f.Add(`{"id":2,"login":"alice","email":"a@x","is_admin":false,"active":true,"prohibit_login":false}`)
	f.Add(`{"id":0,"login":"x"}`)
	f.Add(`{"id":3,"login":"al ice","active":false}`)
	f.Fuzz(func(t *testing.T, body string) {
		var u User
		if strictjson.Unmarshal([]byte(body), &u) != nil {
			return
		}
		if u.check() == nil && (u.ID <= 0 || !validName(u.Login) || u.ProhibitLogin || u.Active != nil && !*u.Active) {
			t.Fatalf("accepted %+v", u)
		}
	})
}

func FuzzGroupAnswers(f *testing.F) {
	f.Add(`[{"name":"acme"}]`, `[{"name":"Writers","organization":{"name":"acme"}}]`)
	f.Add(`[{"name":"ac/me"}]`, `[{"name":"w","organization":null}]`)
	f.Fuzz(func(t *testing.T, orgs, teams string) {
		var os []Org
		var ts []Team
		if strictjson.Unmarshal([]byte(orgs), &os) == nil {
			if gs, err := orgGroups(os); err == nil {
				for _, g := range gs {
					if strings.Contains(g, "/") || g != strings.ToLower(g) || !validName(g) {
						t.Fatalf("bad organisation group %q", g)
					}
				}
			}
		}
		if strictjson.Unmarshal([]byte(teams), &ts) == nil {
			if gs, err := teamGroups(ts); err == nil {
				for _, g := range gs {
					o, n, ok := strings.Cut(g, "/")
					if !ok || !validName(o) || !validName(n) || g != strings.ToLower(g) {
						t.Fatalf("bad team group %q", g)
					}
				}
			}
		}
	})
}

func FuzzPermissionAnswer(f *testing.F) {
	f.Add(`{"full_name":"acme/app","permissions":{"admin":false,"push":true,"pull":true}}`)
	f.Add(`{"full_name":"acme/app"}`)
	f.Fuzz(func(t *testing.T, body string) {
		var r Repository
		if strictjson.Unmarshal([]byte(body), &r) != nil {
			return
		}
		lvl := r.Permissions.Level()
		if r.Permissions == nil && lvl != 0 {
			t.Fatalf("no permissions object gave %s", lvl)
		}
		if r.Permissions != nil && !r.Permissions.Admin && !r.Permissions.Push && !r.Permissions.Pull && lvl != 0 {
			t.Fatalf("all-false permissions gave %s", lvl)
		}
	})
}
