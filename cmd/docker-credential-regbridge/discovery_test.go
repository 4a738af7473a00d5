package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestACITokenIsHandedOutOnlyForTheRegbridgeTheChallengeAndMetadataName
// checks every way a registry may fail to point at a trusted regbridge:
// the helper then answers "not found" and runs no source.
func TestACITokenIsHandedOutOnlyForTheRegbridgeTheChallengeAndMetadataName(t *testing.T) {
	tests := []struct {
		name      string
		challenge func(w *world) string
		meta      func(w *world) any
	}{
		{"a realm over plain http off loopback", func(w *world) string {
			return `Bearer realm="http://regbridge.example/token",service="registry.test"`
		}, nil},
		{"a Basic challenge", func(w *world) string { return `Basic realm="registry"` }, nil},
		{"metadata naming another token endpoint", nil, func(w *world) any {
			return map[string]any{"token_endpoint": "https://elsewhere.example/token", "services": []any{map[string]any{"service": "registry.test"}}}
		}},
		{"metadata without the challenge's service", nil, func(w *world) any {
			return map[string]any{"token_endpoint": w.bridge.URL + "/token", "services": []any{map[string]any{"service": "other"}}}
		}},
		{"no metadata at the realm", nil, func(w *world) any { return nil }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			if tc.challenge != nil {
				ch := tc.challenge(w)
				w.registry.Config.Handler = http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
					rw.Header().Set("WWW-Authenticate", ch)
					rw.WriteHeader(http.StatusUnauthorized)
				})
			}
			if tc.meta != nil {
				m := tc.meta(w)
				if m == nil {
					w.meta = nil
				} else {
					w.meta = func() any { return m }
				}
			}
			tokFile := filepath.Join(t.TempDir(), "token")
			os.WriteFile(tokFile, []byte("ci-token"), 0o600)
			w.configure(t, "registries:\n  "+w.host+": {source: file, file: "+tokFile+", plain_http: true}\n")
			out, code := w.call(t, w.host, "get")
			if code != 1 || strings.TrimSpace(out) != errNotFound.Error() || strings.Contains(out, "ci-token") {
				t.Errorf("get: exit %d %q, want not found", code, out)
			}
		})
	}
}

func TestARegistryWithoutAChallengeGetsNoCredential(t *testing.T) {
	w := newWorld(t)
	w.registry.Config.Handler = http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {})
	w.configure(t, "registries:\n  "+w.host+": {source: env, variable: X, plain_http: true}\n")
	w.env["X"] = "ci-token"
	if out, code := w.call(t, w.host, "get"); code != 1 || strings.TrimSpace(out) != errNotFound.Error() {
		t.Errorf("get: exit %d %q", code, out)
	}
}

func TestRedirectsAreNotFollowedToFindTheChallenge(t *testing.T) {
	w := newWorld(t)
	other := httptest.NewServer(w.registry.Config.Handler)
	defer other.Close()
	w.registry.Config.Handler = http.RedirectHandler(other.URL+"/v2/", http.StatusFound)
	w.configure(t, "registries:\n  "+w.host+": {source: env, variable: X, plain_http: true}\n")
	w.env["X"] = "ci-token"
	if out, code := w.call(t, w.host, "get"); code != 1 || strings.Contains(out, "ci-token") {
		t.Errorf("get: exit %d %q", code, out)
	}
}

func TestParseChallenge(t *testing.T) {
	tests := []struct {
		in             []string
		realm, service string
		ok             bool
	}{
		{[]string{`Bearer realm="https://r/token",service="s"`}, "https://r/token", "s", true},
		{[]string{`Basic realm="x"`, `bearer realm=https://r/token, service=s,scope="a b"`}, "https://r/token", "s", true},
		{[]string{`Bearer realm="a\"b",service="s"`}, `a"b`, "s", true},
		{[]string{`Bearer service="s"`}, "", "", false},
		{[]string{`Bearer realm="x",realm="y"`}, "", "", false},
		{[]string{`Bearer realm="unterminated`}, "", "", false},
		{nil, "", "", false},
	}
	for _, tc := range tests {
		realm, service, err := parseChallenge(tc.in)
		if (err == nil) != tc.ok || realm != tc.realm || service != tc.service {
			t.Errorf("parseChallenge(%q) = %q, %q, %v", tc.in, realm, service, err)
		}
	}
}
