package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGetReturnsTheConfiguredSourcesTokenInTheProtocolsJSON(t *testing.T) {
	w := newWorld(t)
	tokFile := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tokFile, []byte("tok-1\n"), 0o600)
	w.configure(t, "registries:\n  "+w.host+": {source: file, file: "+tokFile+", username: ci, plain_http: true}\n")
	for _, server := range []string{w.host, "http://" + w.host + "/", "https://" + strings.ToUpper(w.host) + "/v1/"} {
		c := w.mustGet(t, server)
		if c.ServerURL != server || c.Username != "ci" || c.Secret != "tok-1" {
			t.Errorf("get %s = %+v", server, c)
		}
	}
}

func TestAGetForAnUnconfiguredRegistryIsNotFoundNeverAnotherRegistrysCredential(t *testing.T) {
	w := newWorld(t)
	tokFile := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tokFile, []byte("secret-of-the-configured-registry"), 0o600)
	w.configure(t, "registries:\n  "+w.host+": {source: file, file: "+tokFile+", plain_http: true}\n")
	for _, server := range []string{"other.example.com", "127.0.0.1:1", w.host + ".evil.example", "::bad::"} {
		out, code := w.call(t, server, "get")
		if code != 1 || strings.TrimSpace(out) != errNotFound.Error() {
			t.Errorf("get %q: exit %d, stdout %q; want exit 1 and %q", server, code, out, errNotFound)
		}
		if strings.Contains(out, "secret-of-the-configured-registry") {
			t.Errorf("get %q leaked the configured registry's token", server)
		}
	}
}

func TestStoreReadsTheCredentialsObjectAndRefusesToKeepIt(t *testing.T) {
	w := newWorld(t)
	w.configure(t, "registries: {}\n")
	out, code := w.call(t, `{"ServerURL":"r.example","Username":"u","Secret":"p"}`, "store")
	if code != 1 || !strings.Contains(out, "not supported") {
		t.Errorf("store: exit %d %q", code, out)
	}
	out, code = w.call(t, `{"ServerURL":"r.example","Password":"p"}`, "store")
	if code != 1 || !strings.Contains(out, "not a credentials object") {
		t.Errorf("store with an unknown member: exit %d %q", code, out)
	}
	if entries, _ := os.ReadDir(filepath.Dir(w.h.stateDir)); len(entries) != 0 {
		t.Errorf("store wrote %v", entries)
	}
}

func TestListNamesEveryConfiguredRegistryWithItsUsername(t *testing.T) {
	w := newWorld(t)
	w.configure(t, "registries:\n  a.example: {source: github-actions}\n  b.example:5000: {source: login, username: alice}\n")
	out, code := w.call(t, "", "list")
	if code != 0 {
		t.Fatalf("list: %d %s", code, out)
	}
	var got map[string]string
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["a.example"] != "regbridge" || got["b.example:5000"] != "alice" {
		t.Errorf("list = %v", got)
	}
}

func TestEraseForgetsTheStoredLogin(t *testing.T) {
	w := newWorld(t)
	w.configure(t, "registries: {}\n")
	if err := w.h.saveLogin(loginRecord{Registry: "r.example", RefreshToken: "rt"}); err != nil {
		t.Fatal(err)
	}
	if out, code := w.call(t, "https://r.example", "erase"); code != 0 {
		t.Fatalf("erase: %d %s", code, out)
	}
	if ok, err := w.h.hasLogin("r.example"); ok || err != nil {
		t.Errorf("after erase: login %v, %v", ok, err)
	}
	if _, code := w.call(t, "r.example", "erase"); code != 0 {
		t.Errorf("erasing nothing is not an error")
	}
}

func TestUnknownCommandsAndExtraArgumentsAreUsageErrors(t *testing.T) {
	w := newWorld(t)
	for _, args := range [][]string{nil, {"fetch"}, {"get", "x"}, {"login"}} {
		if _, code := w.call(t, "", args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	out, code := w.call(t, "", "version")
	if code != 0 || !strings.HasPrefix(out, "docker-credential-regbridge ") {
		t.Errorf("version: %d %q", code, out)
	}
}

func TestConfigIsStrict(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"an unknown key", "registries:\n  r.example: {sorce: file}\n", "field sorce not found"},
		{"an unknown source", "registries:\n  r.example: {source: magic}\n", `source "magic" is not one of`},
		{"file without a path", "registries:\n  r.example: {source: file}\n", "needs file"},
		{"plain http off loopback", "registries:\n  r.example: {plain_http: true}\n", "loopback registries only"},
		{"a URL as key", "registries:\n  https://r.example: {}\n", "host[:port]"},
		{"a relative file", "registries:\n  r.example: {source: kubernetes, file: token}\n", "absolute path"},
		{"an empty file", "", "is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseConfig([]byte(tc.src), "h.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := loadConfig(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("a missing config file is accepted")
	}
}
