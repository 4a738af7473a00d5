package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dockerScenarios: the docker CLI without a daemon logs in client-side (GET
// /token with Basic, account, client_id=docker, offline_token=true, no
// scope). Push and pull need a daemon and are not tested.
var dockerScenarios = []scenario{
	{"login succeeds with good credentials and stores them", func(t *testing.T, w *world) {
		c := newClient(t, toolDocker)
		r := c.Login(t, w.reg.Host, "alice", w.pw["alice"])
		if r.code != 0 || !strings.Contains(r.stdout, "Login Succeeded") {
			t.Fatalf("want Login Succeeded, got:\n%s", r)
		}
		b, err := os.ReadFile(filepath.Join(c.Home, "docker", "config.json"))
		if err != nil {
			t.Fatal(err)
		}
		var cfg struct {
			Auths map[string]json.RawMessage `json:"auths"`
		}
		if err := json.Unmarshal(b, &cfg); err != nil {
			t.Fatalf("config.json: %v", err)
		}
		entry, ok := cfg.Auths[w.reg.Host]
		if !ok {
			t.Fatalf("config.json has no entry for %s", w.reg.Host)
		}
		var fields map[string]any
		if err := json.Unmarshal(entry, &fields); err != nil {
			t.Fatalf("config.json entry: %v", err)
		}
		t.Logf("docker stored the fields %v for %s", sortedKeys(fields), w.reg.Host)
		if _, ok := fields["auth"]; !ok {
			t.Errorf("config.json entry for %s has no auth field: %v", w.reg.Host, sortedKeys(fields))
		}
	}},
	{"login fails with a bad password", func(t *testing.T, w *world) {
		c := newClient(t, toolDocker)
		r := c.Login(t, w.reg.Host, "alice", "wrong-"+w.pw["alice"])
		if r.code == 0 {
			t.Fatalf("login with a bad password succeeded:\n%s", r)
		}
		if !strings.Contains(strings.ToLower(r.stderr), "unauthorized") {
			t.Errorf("want an unauthorized error, got:\n%s", r)
		}
	}},
	{"login fails for an unknown user", func(t *testing.T, w *world) {
		c := newClient(t, toolDocker)
		r := c.Login(t, w.reg.Host, "mallory", w.pw["alice"])
		if r.code == 0 {
			t.Fatalf("login as an unknown user succeeded:\n%s", r)
		}
	}},
}
