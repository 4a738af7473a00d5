package e2e

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// craneScenarios: go-containerregistry asks /token with GET (Basic, no
// account), scopes as separate parameters, `push,pull` order, and
// `push,pull,delete` for a delete.
var craneScenarios = []scenario{
	{"anonymous pull of a public repository succeeds", func(t *testing.T, w *world) {
		c := newClient(t, toolCrane)
		c.MustRun(t, "", "pull", w.publicRef, filepath.Join(c.WorkDir(), "public.tar"))
		if got := strings.TrimSpace(c.MustRun(t, "", "digest", w.publicRef)); got != w.publicDigest {
			t.Errorf("anonymous digest of %s = %s, want %s", w.publicRef, got, w.publicDigest)
		}
	}},
	{"anonymous push to a public repository is refused", func(t *testing.T, w *world) {
		c := newClient(t, toolCrane)
		layer := writeLayerTar(t, c.WorkDir(), "anon", "anonymous "+randomPassword(t))
		c.MustFail(t, refusedWords, "", "append", "-f", layer, "-t", w.reg.Ref("public/anon:1"))
	}},
	{"a user pushes to its own repository and pulls it back", func(t *testing.T, w *world) {
		c := newClient(t, toolCrane)
		c.MustLogin(t, w.reg.Host, "alice", w.pw["alice"])
		content := "alice crane " + randomPassword(t)
		layer := writeLayerTar(t, c.WorkDir(), "hello", content)
		ref := w.reg.Ref("alice/crane-app:1")
		c.MustRun(t, "", "append", "-f", layer, "-t", ref)
		out := filepath.Join(c.WorkDir(), "export.tar")
		c.MustRun(t, "", "export", ref, out)
		if got := fileInTar(t, out, "hello"); got != content {
			t.Errorf("pulled back %q, want %q", got, content)
		}
	}},
	{"a user's private repository is refused to anonymous pulls", func(t *testing.T, w *world) {
		c := newClient(t, toolCrane)
		c.MustLogin(t, w.reg.Host, "alice", w.pw["alice"])
		ref := w.reg.Ref("alice/crane-private:1")
		c.MustRun(t, "", "append", "-f", writeLayerTar(t, c.WorkDir(), "p", "private"), "-t", ref)
		anon := newClient(t, toolCrane)
		anon.MustFail(t, refusedWords, "", "digest", ref)
	}},
	{"a user is refused a push to another user's repository", func(t *testing.T, w *world) {
		c := newClient(t, toolCrane)
		c.MustLogin(t, w.reg.Host, "alice", w.pw["alice"])
		layer := writeLayerTar(t, c.WorkDir(), "intrude", "not yours")
		c.MustFail(t, refusedWords, "", "append", "-f", layer, "-t", w.reg.Ref("bob/crane-app:1"))
	}},
	{"a wrong password is refused and never downgraded to anonymous", func(t *testing.T, w *world) {
		c := newClient(t, toolCrane)
		c.MustLogin(t, w.reg.Host, "alice", "wrong-"+w.pw["alice"])
		// public/base is anonymously readable: a fall-back to anonymous
		// would make this succeed.
		c.MustFail(t, []string{"unauthorized", "incorrect", "invalid"}, "", "digest", w.publicRef)
	}},
	{"a cross-repository blob mount from a public repository", func(t *testing.T, w *world) {
		c := newClient(t, toolCrane)
		c.MustLogin(t, w.reg.Host, "alice", w.pw["alice"])
		dst := w.reg.Ref("alice/crane-mounted:1")
		c.MustRun(t, "", "cp", w.publicRef, dst)
		if got := strings.TrimSpace(c.MustRun(t, "", "digest", dst)); got != w.publicDigest {
			t.Errorf("digest after copy = %s, want %s", got, w.publicDigest)
		}
		assertMounted(t, w.reg, "public/base", "alice/crane-mounted")
	}},
	{"the catalog is listed for a user granted registry:catalog:*", func(t *testing.T, w *world) {
		c := newClient(t, toolCrane)
		c.MustLogin(t, w.reg.Host, "admin", w.pw["admin"])
		out := c.MustRun(t, "", "catalog", w.reg.Host)
		if !strings.Contains(out, "public/base") {
			t.Errorf("catalog does not list public/base:\n%s", out)
		}
	}},
	{"the catalog is refused to a user without registry:catalog:*", func(t *testing.T, w *world) {
		c := newClient(t, toolCrane)
		c.MustLogin(t, w.reg.Host, "alice", w.pw["alice"])
		c.MustFail(t, refusedWords, "", "catalog", w.reg.Host)
	}},
	{"a user deletes a manifest of its own repository by digest", func(t *testing.T, w *world) {
		c := newClient(t, toolCrane)
		c.MustLogin(t, w.reg.Host, "alice", w.pw["alice"])
		ref := w.reg.Ref("alice/crane-del:1")
		c.MustRun(t, "", "append", "-f", writeLayerTar(t, c.WorkDir(), "d", "delete me "+randomPassword(t)), "-t", ref)
		dig := strings.TrimSpace(c.MustRun(t, "", "digest", ref))
		c.MustRun(t, "", "delete", w.reg.Ref("alice/crane-del@"+dig))
		c.MustFail(t, []string{"MANIFEST_UNKNOWN", "not found", "unknown"}, "", "manifest", w.reg.Ref("alice/crane-del@"+dig))
	}},
	{"a user is refused a delete in another user's repository", func(t *testing.T, w *world) {
		alice := newClient(t, toolCrane)
		alice.MustLogin(t, w.reg.Host, "alice", w.pw["alice"])
		ref := w.reg.Ref("alice/crane-keep:1")
		alice.MustRun(t, "", "append", "-f", writeLayerTar(t, alice.WorkDir(), "k", "keep me "+randomPassword(t)), "-t", ref)
		dig := strings.TrimSpace(alice.MustRun(t, "", "digest", ref))
		bob := newClient(t, toolCrane)
		bob.MustLogin(t, w.reg.Host, "bob", w.pw["bob"])
		bob.MustFail(t, refusedWords, "", "delete", w.reg.Ref("alice/crane-keep@"+dig))
		alice.MustRun(t, "", "manifest", w.reg.Ref("alice/crane-keep@"+dig))
	}},
}

// fileInTar returns the content of name inside the tar file at path.
func fileInTar(t *testing.T, path, name string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			t.Fatalf("%s not found in %s", name, path)
		}
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		if strings.TrimPrefix(h.Name, "/") == name {
			c, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return string(c)
		}
	}
}
