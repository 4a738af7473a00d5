package e2e

import (
	"strings"
	"testing"
)

// registryConfigs pairs each registry configuration with its service on the
// shared bridge.
var registryConfigs = []struct {
	version RegistryVersion
	service Service
}{
	{reg28Bundle, svc28},
	{reg30Bundle, svc30},
	{reg31Bundle, svc31},
	{reg31JWKS, svc31KID},
}

// TestE2EPrintedRegistryStanzaWorksAsIs starts each registry version with
// the auth section printed by `regbridge registry-config` pasted unchanged,
// then pushes and pulls through it.
func TestE2EPrintedRegistryStanzaWorksAsIs(t *testing.T) {
	needE2E(t)
	users := e2eUsers(t)
	bridge := startE2EBridge(t, users, "")
	for _, rc := range registryConfigs {
		t.Run(rc.version.Label, func(t *testing.T) {
			reg := startRegistryFromStanza(t, rc.version, bridge, rc.service)
			ownRoundTrip(t, reg, users)
		})
	}
}

// TestE2EAnRS256KeyIsAcceptedByEveryRegistry repeats the round trip with a
// bridge whose key is RSA (keygen --alg RS256).
func TestE2EAnRS256KeyIsAcceptedByEveryRegistry(t *testing.T) {
	needE2E(t)
	users := e2eUsers(t)
	bridge := startE2EBridge(t, users, "RS256")
	if got := readPrivateKey(t, bridge.Key); algFor(t, got) != "RS256" {
		t.Fatalf("keygen --alg RS256 wrote a %T", got.Public())
	}
	for _, rc := range registryConfigs {
		t.Run(rc.version.Label, func(t *testing.T) {
			reg := startRegistry(t, rc.version, bridge, rc.service)
			ownRoundTrip(t, reg, users)
		})
	}
}

// ownRoundTrip pushes an image to alice's own repository with crane, reads
// it back, and checks that an anonymous client cannot read it.
func ownRoundTrip(t *testing.T, reg *Registry, users map[string]string) {
	t.Helper()
	c := newClient(t, toolCrane)
	c.MustLogin(t, reg.Host, "alice", users["alice"])
	ref := reg.Ref("alice/roundtrip:1")
	content := "round trip " + randomPassword(t)
	c.MustRun(t, "", "append", "-f", writeLayerTar(t, c.WorkDir(), "f", content), "-t", ref)
	out := c.WorkDir() + "/export.tar"
	c.MustRun(t, "", "export", ref, out)
	if got := fileInTar(t, out, "f"); got != content {
		t.Errorf("pulled back %q, want %q", got, content)
	}
	anon := newClient(t, toolCrane)
	anon.MustFail(t, refusedWords, "", "digest", ref)
	if strings.Contains(ref, "127.0.0.1") {
		t.Fatalf("clients must address registries as localhost, not %s", ref)
	}
}
