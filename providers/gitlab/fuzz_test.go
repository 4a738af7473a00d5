package gitlab

import (
	"strconv"
	"testing"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/internal/forgeapi"
)

// forgeapiCommon names the embedded settings type in tests.
type forgeapiCommon = forgeapi.Common

func FuzzParseUser(f *testing.F) {
	for _, s := range []string{
		`{"id":7,"username":"jdoe","state":"active","email":"j@example.com","confirmed_at":"2024-01-01T00:00:00Z","is_admin":true}`,
		`{"id":"7","username":"jdoe","state":"active"}`, `{"id":7.5,"username":"jdoe","state":"active"}`,
		`{"id":7,"id":8,"username":"jdoe","state":"active"}`, `{"id":-1,"username":"x","state":"active"}`,
		`{"id":7,"username":"a/b","state":"active"}`, `{"id":7,"username":"jdoe","state":"active"} x`, `null`, `[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		u, err := ParseUser(b)
		if err != nil {
			return
		}
		if u.ID <= 0 || !validPath(u.Username, 1) || u.State == "" {
			t.Fatalf("accepted %+v", u)
		}
	})
}

func FuzzParseTokenSelf(f *testing.F) {
	for _, s := range []string{
		`{"id":1,"name":"n","revoked":false,"active":true,"scopes":["api"],"user_id":7,"expires_at":"2030-01-02"}`,
		`{"id":1,"revoked":true,"active":true,"scopes":[],"user_id":7,"expires_at":null}`,
		`{"scopes":["api"],"user_id":7,"active":true,"granular_scopes":[{"x":1}]}`,
		`{"scopes":null,"user_id":7}`, `{"scopes":["api"],"user_id":7,"expires_at":"tomorrow"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tok, expiry, err := ParseTokenSelf(b)
		if err != nil {
			return
		}
		if tok.UserID <= 0 || tok.Scopes == nil || (tok.ExpiresAt == nil) != expiry.IsZero() {
			t.Fatalf("accepted %+v expiry %v", tok, expiry)
		}
		if tok.Refused() == "" && (tok.Revoked || !tok.Active) {
			t.Fatalf("a revoked or inactive token is not refused: %+v", tok)
		}
	})
}

func FuzzParseTokenInfo(f *testing.F) {
	for _, s := range []string{
		`{"resource_owner_id":7,"scope":["api"],"expires_in":7200,"application":{"uid":"x"},"created_at":1}`,
		`{"resource_owner_id":7,"scope":"api","expires_in":7200}`, `{"resource_owner_id":7,"scope":[],"expires_in":-1}`,
		`{"resource_owner_id":7,"scope":["api"],"expires_in":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ti, err := ParseTokenInfo(b)
		if err != nil {
			return
		}
		if ti.ResourceOwnerID <= 0 || ti.Scope == nil || (ti.ExpiresIn != nil && *ti.ExpiresIn < 0) {
			t.Fatalf("accepted %+v", ti)
		}
	})
}

func FuzzParseGroups(f *testing.F) {
	for _, s := range []string{
		`[{"id":1,"full_path":"acme"},{"id":2,"full_path":"acme/platform/sub"}]`, `[]`, `null`, `{}`,
		`[{"id":1,"full_path":"acme/"}]`, `[{"id":1,"full_path":"ac me"}]`, `[{"id":0,"full_path":"acme"}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		gs, err := ParseGroups(b)
		if err != nil {
			return
		}
		if len(gs) > maxPerPage {
			t.Fatalf("accepted %d groups on a page", len(gs))
		}
		for _, g := range gs {
			if !validPath(g, 1) {
				t.Fatalf("accepted group %q", g)
			}
		}
	})
}

func FuzzParseProject(f *testing.F) {
	for _, s := range []string{
		`{"id":3,"path_with_namespace":"acme/app","archived":false,"permissions":{"project_access":{"access_level":30,"notification_level":3},"group_access":null}}`,
		`{"id":3,"path_with_namespace":"acme/app","permissions":{"project_access":null,"group_access":{"access_level":50}}}`,
		`{"id":3,"path_with_namespace":"acme/app","permissions":{"project_access":null,"group_access":null}}`,
		`{"id":3,"path_with_namespace":"acme/app"}`, `{"id":3,"path_with_namespace":"acme/app","permissions":{"project_access":{"access_level":"30"}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, level, known, err := ParseProject(b)
		if err != nil {
			return
		}
		if p.ID <= 0 || p.PathWithNamespace == "" || (!known && level != 0) {
			t.Fatalf("accepted %+v level %d known %v", p, level, known)
		}
		if perm := Permission(level); perm > providers.PermissionNone && level < 20 {
			t.Fatalf("level %d maps to %v", level, perm)
		}
	})
}

func FuzzParseMember(f *testing.F) {
	for _, s := range []string{`{"id":7,"username":"jdoe","state":"active","access_level":30}`, `{"id":0,"access_level":50}`, `{"id":7,"access_level":1e400}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseMember(b)
		if err == nil && m.ID <= 0 {
			t.Fatalf("accepted %+v", m)
		}
	})
}

func FuzzErrorReason(f *testing.F) {
	for _, s := range []string{
		`{"message":"403 Forbidden - Your account has been blocked."}`,
		`{"error":"invalid_token","error_description":"Token was revoked. You have to re-authorize from the user."}`,
		`{"error":"insufficient_scope","error_description":"x","scope":"api read_api"}`,
		`{"message":{"name":["is taken"]}}`, "Retry later\n", `{"message":"\u001b[31mred\n"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r := ErrorReason(b)
		if len(r) > 4*(64+20)+2 {
			t.Fatalf("reason of %d bytes", len(r))
		}
		for i := 0; i < len(r); i++ {
			if r[i] < 0x20 || r[i] >= 0x7f {
				t.Fatalf("reason has byte %q", r[i])
			}
		}
	})
}

func FuzzPermission(f *testing.F) {
	for _, l := range []int{0, 5, 10, 15, 20, 25, 30, 40, 50, 60} {
		f.Add(l)
	}
	f.Fuzz(func(t *testing.T, level int) {
		got := Permission(level)
		want := map[int]providers.Permission{20: providers.PermissionRead, 30: providers.PermissionWrite, 40: providers.PermissionAdmin, 50: providers.PermissionAdmin}[level]
		if got != want {
			t.Fatalf("Permission(%s) = %v, want %v", strconv.Itoa(level), got, want)
		}
	})
}
