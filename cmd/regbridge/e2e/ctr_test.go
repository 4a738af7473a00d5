package e2e

import (
	"strings"
	"testing"
)

// ctrScenarios: containerd's resolver POSTs grant_type=password with
// client_id=containerd-client when it has a user and a password, POSTs
// grant_type=refresh_token when it has only a secret (--refresh), and falls
// back to GET on 400, 401, 404 and (with a user) 405; anonymous requests
// are GETs. ctr has no login and reads no credential file: the user goes
// on each command line. Each ctr client has its own containerd
// (startContainerd); --all-platforms fetches without unpacking, so no
// snapshotter is needed.
var ctrScenarios = []scenario{
	{"anonymous pull of a public repository succeeds", func(t *testing.T, w *world) {
		c := newClient(t, toolCtr)
		ctrPull(t, c, w.publicRef, "")
		ctrHasImage(t, c, w.publicRef, w.publicDigest)
	}},
	{"anonymous push to a public repository is refused", func(t *testing.T, w *world) {
		c := newClient(t, toolCtr)
		ctrPull(t, c, w.publicRef, "")
		dst := w.reg.Ref("public/ctr-anon:1")
		c.MustRun(t, "", "images", "tag", w.publicRef, dst)
		c.MustFail(t, refusedWords, "", "images", "push", "--plain-http", dst)
	}},
	{"a user pushes to its own repository and pulls it back", func(t *testing.T, w *world) {
		c := newClient(t, toolCtr)
		user := "alice:" + w.pw["alice"]
		dst := w.reg.Ref("alice/ctr-app:1")
		ctrPushCopy(t, c, w.publicRef, dst, "--user", user)
		back := newClient(t, toolCtr)
		ctrPull(t, back, dst, user)
		ctrHasImage(t, back, dst, w.publicDigest)
		// The repository is private: without the user the pull is refused.
		anon := newClient(t, toolCtr)
		anon.MustFail(t, refusedWords, "", "images", "pull", "--plain-http", "--all-platforms", dst)
	}},
	{"a wrong password is refused and never downgraded to anonymous", func(t *testing.T, w *world) {
		c := newClient(t, toolCtr)
		c.MustFail(t, []string{"unauthorized", "incorrect", "invalid"}, "",
			"images", "pull", "--plain-http", "--all-platforms", "--user", "alice:wrong-"+w.pw["alice"], w.publicRef)
	}},
	{"a user is refused a push to another user's repository", func(t *testing.T, w *world) {
		c := newClient(t, toolCtr)
		ctrPull(t, c, w.publicRef, "")
		dst := w.reg.Ref("bob/ctr-app:1")
		c.MustRun(t, "", "images", "tag", w.publicRef, dst)
		c.MustFail(t, refusedWords, "", "images", "push", "--plain-http", "--user", "alice:"+w.pw["alice"], dst)
	}},
}

// ctrPull fetches ref into c's containerd, with user ("name:password") when
// it is not empty.
func ctrPull(t *testing.T, c *Client, ref, user string) {
	t.Helper()
	args := []string{"images", "pull", "--plain-http", "--all-platforms"}
	if user != "" {
		args = append(args, "--user", user)
	}
	c.MustRun(t, "", append(args, ref)...)
}

// ctrPushCopy fetches src anonymously, tags it dst and pushes dst with the
// credential flags auth (--user U:P or --refresh TOKEN).
func ctrPushCopy(t *testing.T, c *Client, src, dst string, auth ...string) {
	t.Helper()
	ctrPull(t, c, src, "")
	c.MustRun(t, "", "images", "tag", src, dst)
	c.MustRun(t, "", append(append([]string{"images", "push", "--plain-http"}, auth...), dst)...)
}

// ctrHasImage checks that c's containerd holds ref with manifest digest.
func ctrHasImage(t *testing.T, c *Client, ref, digest string) {
	t.Helper()
	for _, line := range strings.Split(c.MustRun(t, "", "images", "ls"), "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[0] == ref {
			if f[2] != digest {
				t.Errorf("%s has digest %s, want %s", ref, f[2], digest)
			}
			return
		}
	}
	t.Errorf("containerd holds no image %s", ref)
}
