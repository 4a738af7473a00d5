package e2e

import (
	"strings"
	"testing"
)

// scenario is one end-to-end check run against one registry.
type scenario struct {
	name string
	run  func(t *testing.T, w *world)
}

// clientSuite groups the scenarios of one client.
type clientSuite struct {
	client    tool
	scenarios []scenario
}

// clientSuites is every client scenario; each runs against every registry
// configuration.
func clientSuites() []clientSuite {
	return []clientSuite{
		{toolCrane, craneScenarios},
		{toolSkopeo, skopeoScenarios},
		{toolOras, orasScenarios},
		{toolPodman, podmanScenarios},
		{toolDocker, dockerScenarios},
		{toolBuildah, buildahScenarios},
		{toolCtr, ctrScenarios},
		{toolRegctl, regctlScenarios},
		{toolHelm, helmScenarios},
	}
}

// TestE2ERealClientsAgainstRealRegistries runs crane, skopeo, oras, podman,
// the docker CLI, buildah, containerd's ctr, regctl and helm against
// distribution 2.8.2, 3.0.0 and 3.1.2 (bundle, and JWKS for 3.1.2) that
// trust one regbridge.
func TestE2ERealClientsAgainstRealRegistries(t *testing.T) {
	needE2E(t)
	users := e2eUsers(t)
	bridge := startE2EBridge(t, users, "")
	for _, rc := range registryConfigs {
		t.Run(rc.version.Label, func(t *testing.T) {
			w := &world{bridge: bridge, pw: users}
			w.reg = startRegistry(t, rc.version, bridge, rc.service)
			w.seedPublic(t)
			t.Run("token checks", func(t *testing.T) {
				for _, sc := range tokenCheckScenarios {
					t.Run(sc.name, func(t *testing.T) { sc.run(t, w) })
				}
			})
			for _, cs := range clientSuites() {
				t.Run(cs.client.name, func(t *testing.T) {
					needTool(t, cs.client)
					for _, sc := range cs.scenarios {
						t.Run(sc.name, func(t *testing.T) { sc.run(t, w) })
					}
				})
			}
		})
	}
	t.Run("repeated credentials are answered from the credential cache", func(t *testing.T) {
		var users, hits, refused int
		for _, e := range bridge.Audit(t) {
			if e.Provider != "users" {
				continue
			}
			users++
			if e.CacheHit {
				hits++
			}
			if e.Status == 401 {
				refused++
			}
		}
		if users == 0 || hits == 0 || refused == 0 {
			t.Fatalf("audit log: %d static-user requests, %d cache hits, %d refusals; want all three above zero", users, hits, refused)
		}
		t.Logf("audit log: %d static-user requests, %d answered from the cache, %d refused", users, hits, refused)
	})
	t.Run("the regbridge log holds no password", func(t *testing.T) {
		log := bridge.Log(t)
		if strings.Count(log, "\n") < 10 {
			t.Fatalf("the regbridge log has too few lines to judge:\n%s", log)
		}
		for user, pw := range users {
			// Wrong passwords were "wrong-"+pw, so this covers them too.
			if strings.Contains(log, pw) {
				t.Errorf("the password of %s appears in the regbridge log", user)
			}
		}
	})
}
