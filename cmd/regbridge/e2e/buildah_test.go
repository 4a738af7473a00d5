package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// buildahScenarios: buildah shares containers/image with skopeo and podman
// (GET with Basic and account; POST grant_type=refresh_token with
// client_id=containers/image for an identitytoken found in the auth file or
// $DOCKER_CONFIG/config.json). It runs as root with private vfs storage and
// --tls-verify=false for plain HTTP on loopback.
var buildahScenarios = []scenario{
	{"login succeeds with good credentials", func(t *testing.T, w *world) {
		c := newClient(t, toolBuildah)
		c.MustLogin(t, w.reg.Host, "alice", w.pw["alice"])
	}},
	{"login fails with a bad password", func(t *testing.T, w *world) {
		c := newClient(t, toolBuildah)
		r := c.Login(t, w.reg.Host, "alice", "wrong-"+w.pw["alice"])
		if r.code == 0 {
			t.Fatalf("login with a bad password succeeded:\n%s", r)
		}
		if !strings.Contains(r.stderr, "invalid username/password") {
			t.Errorf("want buildah's invalid username/password message, got:\n%s", r)
		}
	}},
	{"anonymous pull of a public repository succeeds", func(t *testing.T, w *world) {
		c := newClient(t, toolBuildah)
		c.MustRun(t, "", "pull", "--tls-verify=false", "docker://"+w.publicRef)
	}},
	{"a user pushes to its own repository and pulls it back by digest", func(t *testing.T, w *world) {
		c := newClient(t, toolBuildah)
		c.MustLogin(t, w.reg.Host, "alice", w.pw["alice"])
		ref := w.reg.Ref("alice/bh-app:1")
		digest := buildahPushNew(t, c, ref, "alice buildah "+randomPassword(t))
		back := newClient(t, toolBuildah)
		back.MustLogin(t, w.reg.Host, "alice", w.pw["alice"])
		back.MustRun(t, "", "pull", "--tls-verify=false", "docker://"+w.reg.Ref("alice/bh-app@"+digest))
		anon := newClient(t, toolBuildah)
		anon.MustFail(t, refusedWords, "", "pull", "--tls-verify=false", "docker://"+ref)
	}},
	{"a user is refused a push to another user's repository", func(t *testing.T, w *world) {
		c := newClient(t, toolBuildah)
		c.MustLogin(t, w.reg.Host, "alice", w.pw["alice"])
		id := localImage(t, c, "not yours "+randomPassword(t))
		c.MustFail(t, refusedWords, "", "push", "--tls-verify=false", id, "docker://"+w.reg.Ref("bob/bh-app:1"))
	}},
}

// localImage puts a one-layer image holding content into the storage of
// c, a buildah or podman client (from an OCI layout, no registry
// involved), and returns its id.
func localImage(t *testing.T, c *Client, content string) string {
	t.Helper()
	// buildah names the image after the layout's path, and an image name
	// must be lower case, which t.TempDir paths are not.
	src, err := os.MkdirTemp("", "bhsrc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(src) })
	writeOCILayout(t, src, "1", content)
	out := strings.Fields(c.MustRun(t, "", "pull", "oci:"+src+":1"))
	if len(out) == 0 {
		t.Fatalf("%s pull printed no image id", c.Tool.name)
	}
	return out[len(out)-1]
}

// buildahPushNew pushes a new image holding content to ref with c and
// returns the manifest digest buildah pushed.
func buildahPushNew(t *testing.T, c *Client, ref, content string) string {
	t.Helper()
	id := localImage(t, c, content)
	df := filepath.Join(c.WorkDir(), "digest")
	c.MustRun(t, "", "push", "--tls-verify=false", "--digestfile", df, id, "docker://"+ref)
	b, err := os.ReadFile(df)
	if err != nil {
		t.Fatal(err)
	}
	d := strings.TrimSpace(string(b))
	if !strings.HasPrefix(d, "sha256:") {
		t.Fatalf("buildah wrote the digest %q", d)
	}
	return d
}
