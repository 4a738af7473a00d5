package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// orasScenarios: oras-go asks /token with GET (Basic, no account), sorted
// actions (`pull,push`, `delete,pull`). Client.Run adds --plain-http and a
// private --registry-config; files are pushed by relative path.
var orasScenarios = []scenario{
	{"login succeeds with good credentials", func(t *testing.T, w *world) {
		c := newClient(t, toolOras)
		c.MustLogin(t, w.reg.Host, "alice", w.pw["alice"])
	}},
	{"login fails with a bad password", func(t *testing.T, w *world) {
		c := newClient(t, toolOras)
		r := c.Login(t, w.reg.Host, "alice", "wrong-"+w.pw["alice"])
		if r.code == 0 {
			t.Fatalf("login with a bad password succeeded:\n%s", r)
		}
		if !strings.Contains(strings.ToLower(r.stderr), "unauthorized") {
			t.Errorf("want an unauthorized error, got:\n%s", r)
		}
	}},
	{"anonymous pull of a public repository succeeds", func(t *testing.T, w *world) {
		c := newClient(t, toolOras)
		out := c.MustRun(t, "", "manifest", "fetch", "--descriptor", w.publicRef)
		if !strings.Contains(out, w.publicDigest) {
			t.Errorf("descriptor does not name %s:\n%s", w.publicDigest, out)
		}
	}},
	{"a user pushes to its own repository and pulls it back", func(t *testing.T, w *world) {
		c := newClient(t, toolOras)
		c.MustLogin(t, w.reg.Host, "alice", w.pw["alice"])
		orasPushAndPullBack(t, c, w.reg.Ref("alice/or-art:1"), "alice oras "+randomPassword(t))
	}},
	{"a user is refused a push to another user's repository", func(t *testing.T, w *world) {
		c := newClient(t, toolOras)
		c.MustLogin(t, w.reg.Host, "alice", w.pw["alice"])
		writeFile(t, filepath.Join(c.WorkDir(), "note.txt"), "not yours")
		c.MustFail(t, refusedWords, "", "push", w.reg.Ref("bob/or-art:1"), "note.txt")
	}},
	{"a copy mounts the blobs from a public repository", func(t *testing.T, w *world) {
		c := newClient(t, toolOras)
		c.MustLogin(t, w.reg.Host, "alice", w.pw["alice"])
		c.MustRun(t, "", "cp", w.publicRef, w.reg.Ref("alice/or-mounted:1"))
		assertMounted(t, w.reg, "public/base", "alice/or-mounted")
	}},
	{"the repositories are listed for a user granted registry:catalog:*", func(t *testing.T, w *world) {
		c := newClient(t, toolOras)
		c.MustLogin(t, w.reg.Host, "admin", w.pw["admin"])
		out := c.MustRun(t, "", "repo", "ls", w.reg.Host)
		if !strings.Contains(out, "public/base") {
			t.Errorf("repo ls does not list public/base:\n%s", out)
		}
	}},
	{"the repositories are refused to a user without registry:catalog:*", func(t *testing.T, w *world) {
		c := newClient(t, toolOras)
		c.MustLogin(t, w.reg.Host, "bob", w.pw["bob"])
		c.MustFail(t, refusedWords, "", "repo", "ls", w.reg.Host)
	}},
	{"a user deletes a manifest of its own repository", func(t *testing.T, w *world) {
		c := newClient(t, toolOras)
		c.MustLogin(t, w.reg.Host, "alice", w.pw["alice"])
		writeFile(t, filepath.Join(c.WorkDir(), "gone.txt"), "delete me "+randomPassword(t))
		ref := w.reg.Ref("alice/or-del:1")
		c.MustRun(t, "", "push", ref, "gone.txt")
		c.MustRun(t, "", "manifest", "delete", "--force", ref)
		c.MustFail(t, []string{"not found", "manifest unknown"}, "", "manifest", "fetch", ref)
	}},
}

// orasPushAndPullBack pushes a file holding content to ref with c, pulls it
// back and checks the content survived the round trip.
func orasPushAndPullBack(t *testing.T, c *Client, ref, content string) {
	t.Helper()
	writeFile(t, filepath.Join(c.WorkDir(), "note.txt"), content)
	c.MustRun(t, "", "push", ref, "note.txt")
	c.MustRun(t, "", "pull", ref, "-o", "back")
	got, err := os.ReadFile(filepath.Join(c.WorkDir(), "back", "note.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != content {
		t.Errorf("pulled back %q, want %q", got, content)
	}
}
