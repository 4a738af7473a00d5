package e2e

import (
	"regexp"
	"strings"
	"testing"
)

// e2ePolicy is the policy every registry scenario runs under:
//   - anyone pulls public/**; members of "publishers" also push there;
//   - each static user has pull, push and delete on <username>/** and a
//     literal "*" on <username>/star/** (containers/image deletes with the
//     scope repository:NAME:*, and "*" is granted only where written);
//   - admin may list the catalog.
const e2ePolicy = `version: 1
rules:
  - id: public-pull
    who: anyone
    grant:
      - {repository: "public/**", actions: [pull]}
  - id: publishers
    who: [users]
    when: {groups: [publishers]}
    grant:
      - {repository: "public/**", actions: [pull, push, delete]}
  - id: own
    who: [users]
    grant:
      - {repository: "${username}/**", actions: [pull, push, delete]}
  - id: own-star
    who: [users]
    grant:
      - {repository: "${username}/star/**", actions: ["*"]}
  - id: admin-catalog
    who: [users]
    when: {username: admin}
    grant:
      - {registry: catalog, actions: ["*"]}
`

// Services of the shared bridge: one per registry configuration, each with
// its own issuer, so that a token for one registry is refused by another.
var (
	svc28 = Service{Name: "registry28.test", Issuer: "regbridge-e2e-28", Header: headerX5C}
	svc30 = Service{Name: "registry30.test", Issuer: "regbridge-e2e-30", Header: headerX5C}
	svc31 = Service{Name: "registry31.test", Issuer: "regbridge-e2e-31", Header: headerX5C}
	// The jwks registry gets the smallest answer: kid header, access_token only.
	svc31KID = Service{Name: "registry31-jwks.test", Issuer: "regbridge-e2e-jwks", Header: headerKid, TokenFields: "access_token"}
)

// world is one registry behind the shared bridge, with its accounts and the
// public image seeded into it.
type world struct {
	bridge *Bridge
	reg    *Registry
	pw     map[string]string // alice, bob, admin -> password
	// publicRef is public/base:1, pushed by admin (a publisher) at setup;
	// publicDigest is its manifest digest.
	publicRef    string
	publicDigest string
}

// e2eUsers makes the static accounts with fresh random passwords.
func e2eUsers(t *testing.T) map[string]string {
	return map[string]string{
		"alice": randomPassword(t),
		"bob":   randomPassword(t),
		"admin": randomPassword(t),
	}
}

// startE2EBridge starts a bridge serving the three registry services with
// the e2e accounts and policy; alg is keygen's --alg ("" for the default).
func startE2EBridge(t *testing.T, users map[string]string, alg string) *Bridge {
	t.Helper()
	return startBridge(t, BridgeOptions{
		Services: []Service{svc28, svc30, svc31, svc31KID},
		Users:    users,
		Groups:   map[string][]string{"publishers": {"admin"}},
		Policy:   e2ePolicy,
		Alg:      alg,
	})
}

// seedPublic pushes public/base:1 as admin with crane.
func (w *world) seedPublic(t *testing.T) {
	t.Helper()
	c := newClient(t, toolCrane)
	c.MustLogin(t, w.reg.Host, "admin", w.pw["admin"])
	layer := writeLayerTar(t, c.WorkDir(), "public-base", "public base layer "+randomPassword(t))
	w.publicRef = w.reg.Ref("public/base:1")
	c.MustRun(t, "", "append", "-f", layer, "-t", w.publicRef)
	w.publicDigest = strings.TrimSpace(c.MustRun(t, "", "digest", w.publicRef))
}

// refusedWords are what clients print when the registry or the token server
// refuses access (401 insufficient_scope, 401 from /token, 403).
var refusedWords = []string{"unauthorized", "denied", "insufficient_scope", "authentication required"}

// assertMounted checks the registry's access log for a cross-repository
// mount of a blob from repository from into repository to that the registry
// answered with 201 Created (a mount, not an upload).
func assertMounted(t *testing.T, reg *Registry, from, to string) {
	t.Helper()
	esc := strings.ReplaceAll(from, "/", "%2F")
	re := regexp.MustCompile(`"POST /v2/` + regexp.QuoteMeta(to) + `/blobs/uploads/\?[^"]*(from=` +
		regexp.QuoteMeta(esc) + `|from=` + regexp.QuoteMeta(from) + `)[^"]*" 201 `)
	log := reg.Log(t)
	if !re.MatchString(log) {
		var posts []string
		for _, l := range strings.Split(log, "\n") {
			if strings.Contains(l, "POST /v2/"+to+"/blobs/uploads/") {
				posts = append(posts, l)
			}
		}
		t.Fatalf("no blob mount from %s into %s answered 201 in the registry log; uploads into %s:\n%s",
			from, to, to, strings.Join(posts, "\n"))
	}
}
