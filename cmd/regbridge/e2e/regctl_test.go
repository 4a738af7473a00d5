package e2e

import (
	"path/filepath"
	"strings"
	"testing"
)

// regctlScenarios: regclient GETs /token with Basic, account and
// client_id=regclient for a user and password, and POSTs
// grant_type=refresh_token for an identitytoken (docker's config.json) or
// a refresh token it got in an answer. It never asks for one
// (no offline_token). Plain HTTP is per host in its own configuration.
var regctlScenarios = []scenario{
	{"login succeeds with good credentials", func(t *testing.T, w *world) {
		c := newClient(t, toolRegctl)
		c.MustLogin(t, w.reg.Host, "alice", w.pw["alice"])
	}},
	{"login fails with a bad password", func(t *testing.T, w *world) {
		c := newClient(t, toolRegctl)
		if r := c.Login(t, w.reg.Host, "alice", "wrong-"+w.pw["alice"]); r.code == 0 {
			t.Fatalf("login with a bad password succeeded:\n%s", r)
		}
	}},
	{"anonymous pull of a public repository succeeds", func(t *testing.T, w *world) {
		c := newClient(t, toolRegctl)
		c.RegctlPlainHTTP(t, w.reg.Host)
		if got := strings.TrimSpace(c.MustRun(t, "", "image", "digest", w.publicRef)); got != w.publicDigest {
			t.Errorf("digest = %s, want %s", got, w.publicDigest)
		}
	}},
	{"a user pushes to its own repository and pulls it back", func(t *testing.T, w *world) {
		c := newClient(t, toolRegctl)
		c.MustLogin(t, w.reg.Host, "alice", w.pw["alice"])
		regctlPushAndPullBack(t, c, w.reg.Ref("alice/rc-app:1"), "alice regctl "+randomPassword(t))
		anon := newClient(t, toolRegctl)
		anon.RegctlPlainHTTP(t, w.reg.Host)
		anon.MustFail(t, refusedWords, "", "image", "digest", w.reg.Ref("alice/rc-app:1"))
	}},
	{"a user is refused a push to another user's repository", func(t *testing.T, w *world) {
		c := newClient(t, toolRegctl)
		c.MustLogin(t, w.reg.Host, "alice", w.pw["alice"])
		src := filepath.Join(c.WorkDir(), "src")
		writeOCILayout(t, src, "1", "not yours "+randomPassword(t))
		c.MustFail(t, refusedWords, "", "image", "copy", "ocidir://"+src+":1", w.reg.Ref("bob/rc-app:1"))
	}},
}

// regctlPushAndPullBack copies a new OCI layout holding content to ref,
// copies it back into another layout and checks the manifest digest
// survived the round trip.
func regctlPushAndPullBack(t *testing.T, c *Client, ref, content string) {
	t.Helper()
	src := filepath.Join(c.WorkDir(), "src")
	want := writeOCILayout(t, src, "1", content)
	c.MustRun(t, "", "image", "copy", "ocidir://"+src+":1", ref)
	back := filepath.Join(c.WorkDir(), "back")
	c.MustRun(t, "", "image", "copy", ref, "ocidir://"+back+":1")
	if got := strings.TrimSpace(c.MustRun(t, "", "image", "digest", "ocidir://"+back+":1")); got != want {
		t.Errorf("pulled back manifest %s, want %s", got, want)
	}
}
