package e2e

import (
	"net/http"
	"path/filepath"
	"testing"

	"github.com/regbridge/regbridge/providers/github/ghtest"
)

// TestE2EGitHubForgePermissionsPush runs the github provider against a
// fake GitHub Enterprise Server on loopback (GitHub itself cannot run
// here), with regbridge serving a policy that mirrors repository
// permissions, a real distribution 3.1.2 and crane: a team writer pushes
// to acme/app and pulls it back, a team reader pulls but cannot push.
func TestE2EGitHubForgePermissionsPush(t *testing.T) {
	needE2E(t)
	gh := ghtest.New(t, ghtest.Options{Enterprise: true})
	gh.AddUser(ghtest.User{Login: "alice"})
	gh.AddUser(ghtest.User{Login: "bob"})
	gh.AddOrg("acme")
	gh.AddTeam("acme", "writers", "alice")
	gh.AddTeam("acme", "readers", "bob")
	gh.AddRepo("acme/app", true)
	gh.GrantTeam("acme/app", "acme/writers", ghtest.RoleWrite)
	gh.GrantTeam("acme/app", "acme/readers", ghtest.RoleRead)
	writer := gh.Classic("alice", "write:packages", "read:org", "repo")
	reader := gh.Classic("bob", "write:packages", "read:org", "repo")

	port := freePort(t)
	svc := Service{Name: "localhost:" + itoa(port), Issuer: "regbridge-e2e-github", Header: headerX5C}
	bridge := startBridge(t, BridgeOptions{
		Services: []Service{svc},
		Policy: "version: 1\nrules:\n  - id: github-repositories\n    who: [github]\n    grant:\n" +
			"      - {repository: \"**\", actions: [pull, push, delete], forge: owner-repo}\n",
		ExtraProviders: []string{`{id: github, type: github, base_url: "` + gh.URL + `", usernames: ["github"], timeout: 5s}`},
	})
	reg := startRegistryAt(t, reg31Bundle, bridge, svc, port)
	ref := reg.Ref("acme/app:1")
	content := "github crane " + randomPassword(t)

	gh.ResetCounts()
	c := newClient(t, toolCrane)
	c.MustLogin(t, reg.Host, "github", writer)
	c.MustRun(t, "", "append", "-f", writeLayerTar(t, c.WorkDir(), "app", content), "-t", ref)
	out := filepath.Join(c.WorkDir(), "export.tar")
	c.MustRun(t, "", "export", ref, out)
	if got := fileInTar(t, out, "app"); got != content {
		t.Errorf("pulled back %q, want %q", got, content)
	}
	t.Logf("crane login, push and pull with one token: %d GitHub calls (%d /user, %d acme/app)",
		gh.Count(""), gh.Count(ghtest.EndpointUser), gh.CountRepo("acme/app"))
	if n := gh.Count(ghtest.EndpointUser); n != 1 {
		t.Errorf("%d GET /user for one token, want 1", n)
	}
	if n := gh.CountRepo("acme/app"); n != 1 {
		t.Errorf("%d permission calls for acme/app, want 1", n)
	}

	r := newClient(t, toolCrane)
	r.MustLogin(t, reg.Host, "github", reader)
	r.MustRun(t, "", "export", ref, filepath.Join(r.WorkDir(), "export.tar"))
	r.MustFail(t, refusedWords, "", "append", "-f", writeLayerTar(t, r.WorkDir(), "x", "readers cannot push"), "-t", ref)
	if code, body := bridge.Token(t, svc.Name, "github", "ghp_unknownToken000000000000000000000000", "repository:acme/app:pull"); code != http.StatusUnauthorized {
		t.Errorf("an unknown token: %d %s, want 401", code, body)
	}
}
