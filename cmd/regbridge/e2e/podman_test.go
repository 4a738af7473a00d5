package e2e

import (
	"strings"
	"testing"
)

// podmanScenarios: podman shares containers/image with skopeo (GET with
// Basic and account, delete scope `*`); it runs as root with private vfs
// storage and --tls-verify=false for plain HTTP on loopback.
var podmanScenarios = []scenario{
	{"login succeeds with good credentials", func(t *testing.T, w *world) {
		c := newClient(t, toolPodman)
		c.MustLogin(t, w.reg.Host, "alice", w.pw["alice"])
	}},
	{"login fails with a bad password", func(t *testing.T, w *world) {
		c := newClient(t, toolPodman)
		r := c.Login(t, w.reg.Host, "alice", "wrong-"+w.pw["alice"])
		if r.code == 0 {
			t.Fatalf("login with a bad password succeeded:\n%s", r)
		}
		if !strings.Contains(r.stderr, "invalid username/password") {
			t.Errorf("want podman's invalid username/password message, got:\n%s", r)
		}
	}},
	{"anonymous pull of a public repository succeeds", func(t *testing.T, w *world) {
		c := newClient(t, toolPodman)
		c.MustRun(t, "", "pull", "--tls-verify=false", w.publicRef)
	}},
	{"a user pulls a public image and pushes it to its own repository", func(t *testing.T, w *world) {
		c := newClient(t, toolPodman)
		c.MustLogin(t, w.reg.Host, "alice", w.pw["alice"])
		c.MustRun(t, "", "pull", "--tls-verify=false", w.publicRef)
		dst := w.reg.Ref("alice/pm-app:1")
		c.MustRun(t, "", "push", "--tls-verify=false", w.publicRef, dst)
		other := newClient(t, toolPodman)
		other.MustLogin(t, w.reg.Host, "alice", w.pw["alice"])
		other.MustRun(t, "", "pull", "--tls-verify=false", dst)
	}},
	{"a user is refused a push to another user's repository", func(t *testing.T, w *world) {
		c := newClient(t, toolPodman)
		c.MustLogin(t, w.reg.Host, "alice", w.pw["alice"])
		c.MustRun(t, "", "pull", "--tls-verify=false", w.publicRef)
		c.MustFail(t, refusedWords, "", "push", "--tls-verify=false", w.publicRef, w.reg.Ref("bob/pm-app:1"))
	}},
}
