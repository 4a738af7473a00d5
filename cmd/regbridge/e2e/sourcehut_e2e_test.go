package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers/sourcehut/srhttest"
)

// The sourcehut reference vectors (shared/reference/sourcehut.md §(d)),
// minted with core-go's public test key for registry.example.com.
const (
	// srhtT1 is jdoe's builds token with registry.example.com/REGISTRY:RW,
	// valid until 2033.
	srhtT1 = "AACUNXcAAAAAIHJlZ2lzdHJ5LmV4YW1wbGUuY29tL1JFR0lTVFJZOlJXAARqZG9lM6lBlrnbPZ71dhdQa8JjDFXF8fhm8GdGhObBVbVNsFQ"
	// srhtT3 is T1 expired in 2001.
	srhtT3 = "AADKmjsAAAAAIHJlZ2lzdHJ5LmV4YW1wbGUuY29tL1JFR0lTVFJZOlJXAARqZG9l/jFXWYDl/wqF7Pvsgy236o6FHG6rCCnYXFtx1RlTaJw"
	// srhtT6 is T1 with the grant other.example.org/REGISTRY:RW.
	srhtT6 = "AACUNXcAAAAAHW90aGVyLmV4YW1wbGUub3JnL1JFR0lTVFJZOlJXAARqZG9lxzSaC0mcdjS66GqmIyrWUQtAtoZdSAwaHcVZC1LJzdc"
)

// srhtPolicyDomain is the registry_domain written in testdata/policies/srht.yaml.
const srhtPolicyDomain = "registry.example.com"

// srhtWorld is a registry behind a bridge whose sourcehut provider asks a
// fake meta.sr.ht, with jdoe's tokens: good (RW for registry_domain),
// expired, and otherDomain (RW for another registry).
type srhtWorld struct {
	meta   *srhttest.Server
	bridge *Bridge
	reg    *Registry
	domain string
	good   string
	// expired and otherDomain must be refused without a call to meta.
	expired, otherDomain string
}

// repoRoot is the repository root, relative to this package's directory.
const repoRoot = "../../.."

// readRepoFile returns a file of the repository (testdata, docs).
func readRepoFile(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestE2ESourcehutBuildsTokens is issue 4's end-to-end acceptance: a fake
// meta.sr.ht on loopback, regbridge with the sourcehut provider and the
// srht.yaml policy, a real registry and real clients. A builds token logs
// in with docker, crane and oras push it to the owner's namespace and pull
// it back, a push outside the namespace is denied, and the expired and
// other-domain tokens are refused at login.
func TestE2ESourcehutBuildsTokens(t *testing.T) {
	needE2E(t)
	for _, tc := range []struct {
		name    string
		version RegistryVersion
		// vectors uses registry_domain registry.example.com and the
		// reference vectors T1, T3, T6 as they are; otherwise
		// registry_domain is the registry's localhost:PORT and the tokens
		// are minted for it.
		vectors bool
	}{
		{"distribution 3.1.2 with the registry address as registry_domain and freshly minted tokens", reg31Bundle, false},
		{"distribution 2.8.2 with registry_domain registry.example.com and the reference vectors T1 T3 T6", reg28Bundle, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := startSrhtWorld(t, tc.version, tc.vectors)
			for _, sc := range srhtScenarios {
				t.Run(sc.name, func(t *testing.T) { sc.run(t, w) })
			}
			t.Run("meta.sr.ht is asked once for the good token and never for the refused ones", func(t *testing.T) {
				if n := w.meta.CountToken(w.good); n != 1 {
					t.Errorf("meta saw %d requests with the good token, want 1 (the bridge caches the identity)", n)
				}
				for name, tok := range map[string]string{"expired": w.expired, "other-domain": w.otherDomain} {
					if n := w.meta.CountToken(tok); n != 0 {
						t.Errorf("meta saw %d requests with the %s token, want 0 (refused locally)", n, name)
					}
				}
			})
			t.Run("the audit log names the sr.ht user, never the Basic username", func(t *testing.T) {
				var pushes int
				for _, e := range w.bridge.Audit(t) {
					if e.Provider != "sourcehut" || e.Status != http.StatusOK {
						continue
					}
					if e.Subject != "sourcehut:jdoe" {
						t.Errorf("audit subject %q, want sourcehut:jdoe", e.Subject)
					}
					for _, g := range e.Granted {
						if strings.HasPrefix(g, "repository:jdoe/") && strings.Contains(g, "push") {
							pushes++
						}
					}
				}
				if pushes == 0 {
					t.Error("no push to jdoe/ was granted to the sourcehut provider")
				}
				log := w.bridge.Log(t)
				for _, tok := range []string{w.good, w.expired, w.otherDomain} {
					if strings.Contains(log, tok) {
						t.Error("a sourcehut token appears in the regbridge log")
					}
				}
			})
		})
	}
}

// startSrhtWorld starts the fake meta, a bridge and a registry.
func startSrhtWorld(t *testing.T, v RegistryVersion, vectors bool) *srhtWorld {
	t.Helper()
	meta := srhttest.New(t, srhttest.Options{Users: []srhttest.User{{Username: "jdoe"}, {Username: "alice"}}})
	port := freePort(t)
	w := &srhtWorld{meta: meta, domain: "localhost:" + itoa(port)}
	policy := readRepoFile(t, "testdata/policies/srht.yaml")
	if vectors {
		w.domain = srhtPolicyDomain
		w.good, w.expired, w.otherDomain = srhtT1, srhtT3, srhtT6
	} else {
		policy = strings.ReplaceAll(policy, srhtPolicyDomain, w.domain)
		w.good = meta.MintBuilds("jdoe", w.domain+"/REGISTRY:RW", 45*time.Minute)
		w.expired = meta.MintBuilds("jdoe", w.domain+"/REGISTRY:RW", -time.Minute)
		w.otherDomain = meta.MintBuilds("jdoe", "other.example.org/REGISTRY:RW", 45*time.Minute)
	}
	svc := Service{Name: "localhost:" + itoa(port), Issuer: "regbridge-e2e-srht", Header: headerX5C}
	w.bridge = startBridge(t, BridgeOptions{
		Services: []Service{svc},
		Policy:   policy,
		ExtraProviders: []string{
			`{id: sourcehut, type: sourcehut, meta_url: "` + meta.URL + `", registry_domain: "` + w.domain +
				`", usernames: ["sourcehut"], timeout: 5s}`,
		},
	})
	w.reg = startRegistryAt(t, v, w.bridge, svc, port)
	return w
}

// srhtScenarios run against each sourcehut world.
var srhtScenarios = []struct {
	name string
	run  func(t *testing.T, w *srhtWorld)
}{
	{"docker login -u sourcehut --password-stdin succeeds with the RW builds token", func(t *testing.T, w *srhtWorld) {
		c := newClient(t, toolDocker)
		r := c.Login(t, w.reg.Host, "sourcehut", w.good)
		if r.code != 0 || !strings.Contains(r.stdout, "Login Succeeded") {
			t.Fatalf("want Login Succeeded, got:\n%s", r)
		}
	}},
	{"crane pushes to the token owner's namespace with the token as the password and pulls it back", func(t *testing.T, w *srhtWorld) {
		c := newClient(t, toolCrane)
		c.MustLogin(t, w.reg.Host, "sourcehut", w.good)
		content := "srht crane " + randomPassword(t)
		ref := w.reg.Ref("jdoe/site:1")
		c.MustRun(t, "", "append", "-f", writeLayerTar(t, c.WorkDir(), "site", content), "-t", ref)
		out := filepath.Join(c.WorkDir(), "export.tar")
		c.MustRun(t, "", "export", ref, out)
		if got := fileInTar(t, out, "site"); got != content {
			t.Errorf("pulled back %q, want %q", got, content)
		}
	}},
	{"crane is denied a push outside the owner's namespace", func(t *testing.T, w *srhtWorld) {
		c := newClient(t, toolCrane)
		c.MustLogin(t, w.reg.Host, "sourcehut", w.good)
		c.MustFail(t, refusedWords, "", "append", "-f", writeLayerTar(t, c.WorkDir(), "x", "not yours"), "-t", w.reg.Ref("alice/site:1"))
	}},
	{"oras logs in, pushes to the owner's namespace and pulls it back", func(t *testing.T, w *srhtWorld) {
		c := newClient(t, toolOras)
		c.MustLogin(t, w.reg.Host, "sourcehut", w.good)
		orasPushAndPullBack(t, c, w.reg.Ref("jdoe/notes:1"), "srht oras "+randomPassword(t))
	}},
	{"oras is denied a push outside the owner's namespace", func(t *testing.T, w *srhtWorld) {
		c := newClient(t, toolOras)
		c.MustLogin(t, w.reg.Host, "sourcehut", w.good)
		writeFile(t, filepath.Join(c.WorkDir(), "note.txt"), "not yours")
		c.MustFail(t, refusedWords, "", "push", w.reg.Ref("alice/notes:1"), "note.txt")
	}},
	{"the expired token (T3) is refused at login", func(t *testing.T, w *srhtWorld) {
		srhtRefusedAtLogin(t, w, w.expired)
	}},
	{"the token for another registry domain (T6) is refused at login", func(t *testing.T, w *srhtWorld) {
		srhtRefusedAtLogin(t, w, w.otherDomain)
	}},
}

// srhtRefusedAtLogin checks that oras login, docker login (when the docker
// CLI is there) and a direct /token request refuse tok.
func srhtRefusedAtLogin(t *testing.T, w *srhtWorld, tok string) {
	t.Helper()
	if code, body := w.bridge.Token(t, w.reg.Service.Name, "sourcehut", tok, "repository:jdoe/site:pull"); code != http.StatusUnauthorized {
		t.Errorf("GET /token: %d %s, want 401", code, body)
	}
	oras := newClient(t, toolOras)
	if r := oras.Login(t, w.reg.Host, "sourcehut", tok); r.code == 0 || !strings.Contains(strings.ToLower(r.stderr), "unauthorized") {
		t.Errorf("oras login: want an unauthorized refusal, got:\n%s", r)
	}
	t.Run("docker login", func(t *testing.T) {
		docker := newClient(t, toolDocker)
		if r := docker.Login(t, w.reg.Host, "sourcehut", tok); r.code == 0 || !strings.Contains(strings.ToLower(r.stderr), "unauthorized") {
			t.Errorf("docker login: want an unauthorized refusal, got:\n%s", r)
		}
	})
}
