package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/upstream"
)

// world is a registry and the regbridge it challenges with, both on
// loopback, and a helper configured by the test.
type world struct {
	registry *httptest.Server
	bridge   *httptest.Server
	host     string // the registry's host:port
	service  string
	meta     func() any // the metadata document (nil: 404)
	env      map[string]string
	h        *helper
	stderr   *bytes.Buffer
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{service: "registry.test", env: map[string]string{}, stderr: &bytes.Buffer{}}
	w.bridge = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path != discoveryPath || w.meta == nil {
			http.NotFound(rw, r)
			return
		}
		json.NewEncoder(rw).Encode(w.meta())
	}))
	t.Cleanup(w.bridge.Close)
	w.meta = func() any {
		return map[string]any{
			"token_endpoint": w.bridge.URL + "/token",
			"services": []any{map[string]any{
				"service": w.service,
				"issuers": []any{map[string]any{"issuer": githubIssuer, "audiences": []string{"aud-from-metadata"}}},
			}},
		}
	}
	w.registry = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="%s/token",service="%s"`, w.bridge.URL, w.service))
		rw.WriteHeader(http.StatusUnauthorized)
	}))
	t.Cleanup(w.registry.Close)
	w.host = strings.TrimPrefix(w.registry.URL, "http://")
	dir := t.TempDir()
	w.h = newHelper(func(k string) string { return w.env[k] }, w.stderr)
	w.h.configPath = filepath.Join(dir, "credential-helper.yaml")
	w.h.stateDir = filepath.Join(dir, "state", "logins")
	return w
}

// configure writes the helper's configuration.
func (w *world) configure(t *testing.T, yaml string) {
	t.Helper()
	if err := os.WriteFile(w.h.configPath, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
}

// call runs one helper command and returns stdout and the exit status.
func (w *world) call(t *testing.T, stdin string, args ...string) (string, int) {
	t.Helper()
	var out bytes.Buffer
	code := w.h.run(context.Background(), args, strings.NewReader(stdin), &out)
	return out.String(), code
}

// mustGet runs get for server and decodes the credentials.
func (w *world) mustGet(t *testing.T, server string) Credentials {
	t.Helper()
	out, code := w.call(t, server, "get")
	if code != 0 {
		t.Fatalf("get %s: exit %d: %s (stderr %s)", server, code, out, w.stderr)
	}
	var c Credentials
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatalf("get: %v: %q", err, out)
	}
	return c
}

// fakeJWT is an unsigned compact JWS with the given claims.
func fakeJWT(t *testing.T, claims map[string]any) string {
	t.Helper()
	b, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc(b) + "." + enc([]byte("sig"))
}

var testNow = time.Unix(1_900_000_000, 0)

// checkedURL reports whether u is https, or http on loopback.
func checkedURL(u string) bool {
	_, err := upstream.CheckURL(u, false)
	return err == nil
}

func providersSecret(s string) providers.Secret { return providers.Secret(s) }
