package e2e

import (
	"net/http"
	"testing"
	"time"
)

// tokenCheckScenarios run at the HTTP level, without a client: tokens minted
// by regbridge used directly, and tokens signed in the test with regbridge's
// own key but altered claims, to pin down what each registry version checks
// (registry-protocol.md §6 and §7, e2e-harness.md §6.3).
var tokenCheckScenarios = []scenario{
	{"a pull-only token from regbridge is refused a blob upload with insufficient_scope", func(t *testing.T, w *world) {
		tok := w.bridge.MustToken(t, w.reg.Service.Name, "alice", w.pw["alice"], "repository:alice/tokcheck:pull")
		checkAnswer(t, registryDo(t, w.reg, http.MethodPost, "/v2/alice/tokcheck/blobs/uploads/", tok), insufficient)
	}},
	{"a token from regbridge with no access opens the base endpoint only", func(t *testing.T, w *world) {
		tok := w.bridge.MustToken(t, w.reg.Service.Name, "alice", w.pw["alice"])
		if a := registryDo(t, w.reg, http.MethodGet, "/v2/", tok); a.code != http.StatusOK {
			t.Fatalf("GET /v2/ with an empty-access token: %d %q %s", a.code, a.challenge, a.body)
		}
		checkAnswer(t, registryDo(t, w.reg, http.MethodGet, "/v2/alice/tokcheck/tags/list", tok), insufficient)
	}},
	{"a token from regbridge for a scope the policy denies carries no access", func(t *testing.T, w *world) {
		tok := w.bridge.MustToken(t, w.reg.Service.Name, "alice", w.pw["alice"], "repository:bob/tokcheck:pull")
		checkAnswer(t, registryDo(t, w.reg, http.MethodGet, "/v2/bob/tokcheck/tags/list", tok), insufficient)
	}},
	{"a token from regbridge for another registry's service is refused as invalid", func(t *testing.T, w *world) {
		other := svc28
		if w.reg.Service.Name == svc28.Name {
			other = svc31
		}
		tok := w.bridge.MustToken(t, other.Name, "alice", w.pw["alice"], "repository:alice/tokcheck:pull")
		checkAnswer(t, registryDo(t, w.reg, http.MethodGet, "/v2/alice/tokcheck/tags/list", tok), invalidToken)
	}},
	{"claims signed with regbridge's key are checked by the registry", func(t *testing.T, w *world) {
		s := bridgeSigner(t, w.bridge, w.reg.Version.JWKS)
		now := time.Now()
		base := func(edit func(c map[string]any)) map[string]any {
			c := map[string]any{
				"iss": w.reg.Service.Issuer, "sub": "alice", "aud": w.reg.Service.Name,
				"exp": now.Add(5 * time.Minute).Unix(), "nbf": now.Unix(), "iat": now.Unix(),
				"jti":    randomPassword(t),
				"access": []map[string]any{{"type": "repository", "name": "alice/tokcheck", "actions": []string{"pull"}}},
			}
			if edit != nil {
				edit(c)
			}
			return c
		}
		arrayAud := invalidToken // 2.8 decodes aud into a Go string
		if w.reg.Version.tool.name != toolRegistry28.name {
			arrayAud = accepted // 3.0.0 and 3.1.2: a string or a list of strings
		}
		for _, tc := range []struct {
			name   string
			claims map[string]any
			want   string
		}{
			{"the unaltered claims are accepted", base(nil), accepted},
			{"a wrong issuer is refused", base(func(c map[string]any) { c["iss"] = "someone-else" }), invalidToken},
			{"a wrong audience is refused", base(func(c map[string]any) { c["aud"] = "other.registry.test" }), invalidToken},
			{"an audience array is refused by 2.8 and accepted by 3.x", base(func(c map[string]any) { c["aud"] = []string{w.reg.Service.Name} }), arrayAud},
			{"a token expired 30 s ago is inside the 60 s leeway", base(func(c map[string]any) { c["exp"] = now.Add(-30 * time.Second).Unix() }), accepted},
			{"a token expired 90 s ago is refused", base(func(c map[string]any) { c["exp"] = now.Add(-90 * time.Second).Unix() }), invalidToken},
			{"a token not valid for another 90 s is refused", base(func(c map[string]any) { c["nbf"] = now.Add(90 * time.Second).Unix() }), invalidToken},
			{"a token without exp is refused", base(func(c map[string]any) { delete(c, "exp") }), invalidToken},
		} {
			t.Run(tc.name, func(t *testing.T) {
				tok := s.sign(t, tc.claims, false)
				checkAnswer(t, registryDo(t, w.reg, http.MethodGet, "/v2/alice/tokcheck/tags/list", tok), tc.want)
			})
		}
	}},
	{"a token signed by a key the registry does not trust is refused", func(t *testing.T, w *world) {
		s := strangerSigner(t, w.reg.Version.JWKS)
		now := time.Now()
		tok := s.sign(t, map[string]any{
			"iss": w.reg.Service.Issuer, "sub": "alice", "aud": w.reg.Service.Name,
			"exp": now.Add(time.Minute).Unix(), "nbf": now.Unix(), "iat": now.Unix(), "jti": randomPassword(t),
			"access": []map[string]any{{"type": "repository", "name": "alice/tokcheck", "actions": []string{"pull"}}},
		}, false)
		checkAnswer(t, registryDo(t, w.reg, http.MethodGet, "/v2/alice/tokcheck/tags/list", tok), rejectedNoReason)
	}},
	{"the header form matches the registry's trust configuration", func(t *testing.T, w *world) {
		// A jwks-only registry refuses any token that carries x5c (no
		// fall-back to kid); a bundle registry accepts x5c.
		s := bridgeSigner(t, w.bridge, w.reg.Version.JWKS)
		now := time.Now()
		tok := s.sign(t, map[string]any{
			"iss": w.reg.Service.Issuer, "sub": "alice", "aud": w.reg.Service.Name,
			"exp": now.Add(time.Minute).Unix(), "nbf": now.Unix(), "iat": now.Unix(), "jti": randomPassword(t),
			"access": []map[string]any{{"type": "repository", "name": "alice/tokcheck", "actions": []string{"pull"}}},
		}, true)
		want := accepted
		if w.reg.Version.JWKS {
			want = rejectedNoReason
		}
		checkAnswer(t, registryDo(t, w.reg, http.MethodGet, "/v2/alice/tokcheck/tags/list", tok), want)
	}},
}
