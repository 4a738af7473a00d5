package e2e

import (
	"path/filepath"
	"strings"
	"testing"
)

// skopeoScenarios: containers/image asks /token with GET, Basic plus
// `account`, `pull,push` order, and the single scope `repository:NAME:*` for a
// delete. Every command needs --tls-verify=false for plain HTTP on loopback.
var skopeoScenarios = []scenario{
	{"login succeeds with good credentials", func(t *testing.T, w *world) {
		c := newClient(t, toolSkopeo)
		c.MustLogin(t, w.reg.Host, "alice", w.pw["alice"])
	}},
	{"login fails with a bad password", func(t *testing.T, w *world) {
		c := newClient(t, toolSkopeo)
		r := c.Login(t, w.reg.Host, "alice", "wrong-"+w.pw["alice"])
		if r.code == 0 {
			t.Fatalf("login with a bad password succeeded:\n%s", r)
		}
		if !strings.Contains(r.stderr, "invalid username/password") {
			t.Errorf("want skopeo's invalid username/password message, got:\n%s", r)
		}
	}},
	{"anonymous pull of a public repository succeeds", func(t *testing.T, w *world) {
		c := newClient(t, toolSkopeo)
		out := filepath.Join(c.WorkDir(), "public")
		c.MustRun(t, "", "copy", "--src-tls-verify=false", "docker://"+w.publicRef, "oci:"+out+":1")
		got := strings.TrimSpace(c.MustRun(t, "", "inspect", "--tls-verify=false", "--format", "{{.Digest}}", "docker://"+w.publicRef))
		if got != w.publicDigest {
			t.Errorf("digest = %s, want %s", got, w.publicDigest)
		}
	}},
	{"a user pushes to its own repository and pulls it back", func(t *testing.T, w *world) {
		c := newClient(t, toolSkopeo)
		c.MustLogin(t, w.reg.Host, "alice", w.pw["alice"])
		src := filepath.Join(c.WorkDir(), "src")
		want := writeOCILayout(t, src, "1", "alice skopeo "+randomPassword(t))
		ref := "docker://" + w.reg.Ref("alice/sk-app:1")
		c.MustRun(t, "", "copy", "--dest-tls-verify=false", "oci:"+src+":1", ref)
		back := filepath.Join(c.WorkDir(), "back")
		c.MustRun(t, "", "copy", "--src-tls-verify=false", ref, "oci:"+back+":1")
		got := strings.TrimSpace(c.MustRun(t, "", "inspect", "--format", "{{.Digest}}", "oci:"+back+":1"))
		if got != want {
			t.Errorf("pulled back manifest %s, want %s", got, want)
		}
	}},
	{"a user is refused a push to another user's repository", func(t *testing.T, w *world) {
		c := newClient(t, toolSkopeo)
		c.MustLogin(t, w.reg.Host, "alice", w.pw["alice"])
		src := filepath.Join(c.WorkDir(), "src")
		writeOCILayout(t, src, "1", "not yours "+randomPassword(t))
		c.MustFail(t, refusedWords, "", "copy", "--dest-tls-verify=false", "oci:"+src+":1", "docker://"+w.reg.Ref("bob/sk-app:1"))
	}},
	{"a registry-to-registry copy mounts the blobs from a public repository", func(t *testing.T, w *world) {
		c := newClient(t, toolSkopeo)
		c.MustLogin(t, w.reg.Host, "alice", w.pw["alice"])
		dst := "docker://" + w.reg.Ref("alice/sk-mounted:1")
		c.MustRun(t, "", "copy", "--src-tls-verify=false", "--dest-tls-verify=false", "docker://"+w.publicRef, dst)
		assertMounted(t, w.reg, "public/base", "alice/sk-mounted")
	}},
	{"a user deletes an image where the policy grants a literal star", func(t *testing.T, w *world) {
		skopeoPushThenDelete(t, w, "alice/star/sk-del:1")
	}},
	{"a user deletes an image from its own repository after the delete challenge", func(t *testing.T, w *world) {
		// containers/image first asks for repository:NAME:*; where the
		// policy grants delete but no literal "*", the registry's challenge
		// names the delete action and the client asks again with it.
		skopeoPushThenDelete(t, w, "alice/sk-del:1")
	}},
	{"a user is refused a delete in another user's repository", func(t *testing.T, w *world) {
		alice := newClient(t, toolSkopeo)
		alice.MustLogin(t, w.reg.Host, "alice", w.pw["alice"])
		src := filepath.Join(alice.WorkDir(), "src")
		writeOCILayout(t, src, "1", "keep me "+randomPassword(t))
		ref := "docker://" + w.reg.Ref("alice/star/sk-keep:1")
		alice.MustRun(t, "", "copy", "--dest-tls-verify=false", "oci:"+src+":1", ref)
		bob := newClient(t, toolSkopeo)
		bob.MustLogin(t, w.reg.Host, "bob", w.pw["bob"])
		bob.MustFail(t, refusedWords, "", "delete", "--tls-verify=false", ref)
		alice.MustRun(t, "", "inspect", "--tls-verify=false", ref)
	}},
}

// skopeoPushThenDelete pushes an image to repo as alice, deletes it with
// skopeo delete and checks it is gone.
func skopeoPushThenDelete(t *testing.T, w *world, repo string) {
	t.Helper()
	c := newClient(t, toolSkopeo)
	c.MustLogin(t, w.reg.Host, "alice", w.pw["alice"])
	src := filepath.Join(c.WorkDir(), "src")
	writeOCILayout(t, src, "1", "delete me "+repo+" "+randomPassword(t))
	ref := "docker://" + w.reg.Ref(repo)
	c.MustRun(t, "", "copy", "--dest-tls-verify=false", "oci:"+src+":1", ref)
	c.MustRun(t, "", "delete", "--tls-verify=false", ref)
	c.MustFail(t, []string{"manifest unknown", "not found"}, "", "inspect", "--tls-verify=false", ref)
}
