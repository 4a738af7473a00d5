package e2e

import (
	"strings"
	"testing"
)

// TestE2EPrintedRegistryStanzaWorksAsIs starts each registry version with
// the auth section printed by `regbridge registry-config` pasted unchanged,
// then pushes and pulls through it.
func TestE2EPrintedRegistryStanzaWorksAsIs(t *testing.T) {
	needE2E(t)
	users := e2eUsers(t)
	bridge := startE2EBridge(t, users)
	for _, rc := range []struct {
		version RegistryVersion
		service Service
	}{
		{reg28Bundle, svc28},
		{reg31Bundle, svc31},
		{reg31JWKS, svc31KID},
	} {
		t.Run(rc.version.Label, func(t *testing.T) {
			reg := startRegistryFromStanza(t, rc.version, bridge, rc.service)
			c := newClient(t, toolCrane)
			c.MustLogin(t, reg.Host, "alice", users["alice"])
			ref := reg.Ref("alice/stanza:1")
			content := "stanza " + randomPassword(t)
			c.MustRun(t, "", "append", "-f", writeLayerTar(t, c.WorkDir(), "f", content), "-t", ref)
			digest := strings.TrimSpace(c.MustRun(t, "", "digest", ref))
			if !strings.HasPrefix(digest, "sha256:") {
				t.Fatalf("crane digest printed %q", digest)
			}
			anon := newClient(t, toolCrane)
			anon.MustFail(t, refusedWords, "", "digest", ref)
		})
	}
}
