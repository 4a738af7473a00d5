package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// helmScenarios: helm v4 pushes and pulls charts as OCI artifacts through
// oras-go (GET /token with Basic and no account; POST
// grant_type=refresh_token with client_id=oras-go for an identitytoken in
// its registry configuration, which has docker's format). Every command
// that talks to a registry takes --plain-http.
var helmScenarios = []scenario{
	{"login succeeds with good credentials", func(t *testing.T, w *world) {
		c := newClient(t, toolHelm)
		c.MustLogin(t, w.reg.Host, "alice", w.pw["alice"])
	}},
	{"login fails with a bad password", func(t *testing.T, w *world) {
		c := newClient(t, toolHelm)
		if r := c.Login(t, w.reg.Host, "alice", "wrong-"+w.pw["alice"]); r.code == 0 {
			t.Fatalf("login with a bad password succeeded:\n%s", r)
		}
	}},
	{"a user pushes a chart to its own repository and pulls it back", func(t *testing.T, w *world) {
		c := newClient(t, toolHelm)
		c.MustLogin(t, w.reg.Host, "alice", w.pw["alice"])
		helmPushAndPullBack(t, c, w.reg.Host, "alice/charts", "e2e-chart")
		anon := newClient(t, toolHelm)
		anon.MustFail(t, refusedWords, "", "pull", "oci://"+w.reg.Ref("alice/charts/e2e-chart"), "--version", "0.1.0", "--plain-http")
	}},
	{"a user is refused a chart push to another user's repository", func(t *testing.T, w *world) {
		c := newClient(t, toolHelm)
		c.MustLogin(t, w.reg.Host, "alice", w.pw["alice"])
		chart := helmPackage(t, c, "e2e-chart")
		c.MustFail(t, refusedWords, "", "push", chart, "oci://"+w.reg.Ref("bob/charts"), "--plain-http")
	}},
}

// helmPackage writes a minimal chart called name at version 0.1.0 and
// packages it; it returns the .tgz path.
func helmPackage(t *testing.T, c *Client, name string) string {
	t.Helper()
	dir := filepath.Join(c.WorkDir(), name)
	if err := os.MkdirAll(filepath.Join(dir, "templates"), 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "Chart.yaml"), "apiVersion: v2\nname: "+name+"\nversion: 0.1.0\ndescription: "+randomPassword(t)+"\n")
	writeFile(t, filepath.Join(dir, "templates", "configmap.yaml"),
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: e2e}\ndata: {k: v}\n")
	c.MustRun(t, "", "package", dir, "-d", c.WorkDir())
	return filepath.Join(c.WorkDir(), name+"-0.1.0.tgz")
}

// helmPushAndPullBack packages a chart, pushes it under
// oci://host/repo/name:0.1.0, pulls it into another directory and checks
// that the archive came back unchanged.
func helmPushAndPullBack(t *testing.T, c *Client, host, repo, name string) {
	t.Helper()
	chart := helmPackage(t, c, name)
	out := c.Run(t, "", "push", chart, "oci://"+host+"/"+repo, "--plain-http")
	if out.code != 0 {
		t.Fatalf("helm push: want success, got:\n%s", out)
	}
	if !strings.Contains(out.stdout+out.stderr, "Digest: sha256:") {
		t.Errorf("helm push printed no digest:\n%s", out)
	}
	back := filepath.Join(c.WorkDir(), "back")
	if err := os.MkdirAll(back, 0o700); err != nil {
		t.Fatal(err)
	}
	c.MustRun(t, "", "pull", "oci://"+host+"/"+repo+"/"+name, "--version", "0.1.0", "--plain-http", "-d", back)
	want, err := os.ReadFile(chart)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(back, name+"-0.1.0.tgz"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("pulled back a chart archive of %d bytes that differs from the %d pushed", len(got), len(want))
	}
}
