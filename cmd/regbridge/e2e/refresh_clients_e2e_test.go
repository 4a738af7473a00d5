package e2e

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// The clients of the refresh scenario beside crane and oras. Each reads
// the entry docker login stored (its own way: buildah and skopeo through
// $DOCKER_CONFIG, regctl the same, helm as its registry configuration,
// ctr on its command line, as a kubelet pull secret would hand it over).
var refreshClients = []tool{toolRegctl, toolBuildah, toolPodman, toolSkopeo, toolHelm, toolCtr}

// clientFromDockerEntry is a fresh client of tl holding the credential
// docker stored for reg: for ctr the flags that carry it.
func clientFromDockerEntry(t *testing.T, tl tool, docker *Client, reg *Registry) (*Client, []string) {
	t.Helper()
	c := clientWithDockerConfig(t, tl, docker)
	switch tl.name {
	case toolRegctl.name:
		c.RegctlPlainHTTP(t, reg.Host)
	case toolHelm.name:
		raw, err := os.ReadFile(filepath.Join(docker.Home, "docker", "config.json"))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, c.HelmRegistryConfig(), string(raw))
	case toolCtr.name:
		entry := dockerEntry(t, docker, reg.Host)
		if rt, _ := entry["identitytoken"].(string); rt != "" {
			return c, []string{"--refresh", rt}
		}
		auth, _ := entry["auth"].(string)
		userpass, err := base64.StdEncoding.DecodeString(auth)
		if err != nil || !strings.Contains(string(userpass), ":") {
			t.Fatalf("docker's entry for %s has neither an identitytoken nor a user and password", reg.Host)
		}
		return c, []string{"--user", string(userpass)}
	}
	return c, nil
}

// refreshPushAndPullBack pushes to team/<client> on reg with the entry
// docker stored, pulls it back, and checks that a push to other/, which
// the policy does not grant, is refused.
func refreshPushAndPullBack(t *testing.T, tl tool, docker *Client, reg *Registry) {
	t.Helper()
	c, auth := clientFromDockerEntry(t, tl, docker, reg)
	content := tl.name + " refresh " + randomPassword(t)
	switch tl.name {
	case toolRegctl.name:
		regctlPushAndPullBack(t, c, reg.Ref("team/regctl:1"), content)
		src := filepath.Join(c.WorkDir(), "elsewhere")
		writeOCILayout(t, src, "1", "elsewhere")
		c.MustFail(t, refusedWords, "", "image", "copy", "ocidir://"+src+":1", reg.Ref("other/regctl:1"))
	case toolBuildah.name:
		digest := buildahPushNew(t, c, reg.Ref("team/buildah:1"), content)
		back, _ := clientFromDockerEntry(t, tl, docker, reg)
		back.MustRun(t, "", "pull", "--tls-verify=false", "docker://"+reg.Ref("team/buildah@"+digest))
		id := localImage(t, c, "elsewhere")
		c.MustFail(t, refusedWords, "", "push", "--tls-verify=false", id, "docker://"+reg.Ref("other/buildah:1"))
	case toolPodman.name:
		id := localImage(t, c, content)
		ref := reg.Ref("team/podman:1")
		c.MustRun(t, "", "push", "--tls-verify=false", id, "docker://"+ref)
		back, _ := clientFromDockerEntry(t, tl, docker, reg)
		back.MustRun(t, "", "pull", "--tls-verify=false", "docker://"+ref)
		c.MustFail(t, refusedWords, "", "push", "--tls-verify=false", id, "docker://"+reg.Ref("other/podman:1"))
	case toolSkopeo.name:
		src, back := filepath.Join(c.WorkDir(), "src"), filepath.Join(c.WorkDir(), "back")
		want := writeOCILayout(t, src, "1", content)
		ref := "docker://" + reg.Ref("team/skopeo:1")
		c.MustRun(t, "", "copy", "--dest-tls-verify=false", "oci:"+src+":1", ref)
		c.MustRun(t, "", "copy", "--src-tls-verify=false", ref, "oci:"+back+":1")
		if got := strings.TrimSpace(c.MustRun(t, "", "inspect", "--format", "{{.Digest}}", "oci:"+back+":1")); got != want {
			t.Errorf("pulled back manifest %s, want %s", got, want)
		}
		c.MustFail(t, refusedWords, "", "copy", "--dest-tls-verify=false", "oci:"+src+":1", "docker://"+reg.Ref("other/skopeo:1"))
	case toolHelm.name:
		helmPushAndPullBack(t, c, reg.Host, "team/charts", "refresh-chart")
		chart := filepath.Join(c.WorkDir(), "refresh-chart-0.1.0.tgz")
		c.MustFail(t, refusedWords, "", "push", chart, "oci://"+reg.Ref("other/charts"), "--plain-http")
	case toolCtr.name:
		// team/crane:1 was pushed by crane a moment before.
		src, dst := reg.Ref("team/crane:1"), reg.Ref("team/ctr:1")
		c.MustRun(t, "", append(append([]string{"images", "pull", "--plain-http", "--all-platforms"}, auth...), src)...)
		c.MustRun(t, "", "images", "tag", src, dst)
		c.MustRun(t, "", append(append([]string{"images", "push", "--plain-http"}, auth...), dst)...)
		back, auth := clientFromDockerEntry(t, tl, docker, reg)
		back.MustRun(t, "", append(append([]string{"images", "pull", "--plain-http", "--all-platforms"}, auth...), dst)...)
		other := reg.Ref("other/ctr:1")
		c.MustRun(t, "", "images", "tag", src, other)
		c.MustFail(t, refusedWords, "", append(append([]string{"images", "push", "--plain-http"}, auth...), other)...)
	default:
		t.Fatalf("no refresh scenario for %s", tl.name)
	}
}

// refusedPush makes one push to team/<client> on reg with the credential
// client c holds (auth: ctr's flags) and requires it to be refused. ctr
// pushes an image it first fetches from seedRef with seedAuth.
func refusedPush(t *testing.T, tl tool, c *Client, auth []string, reg *Registry, seedRef string, seedAuth []string) {
	t.Helper()
	switch tl.name {
	case toolRegctl.name:
		src := filepath.Join(c.WorkDir(), "late")
		writeOCILayout(t, src, "1", "late "+randomPassword(t))
		c.MustFail(t, refusedWords, "", "image", "copy", "ocidir://"+src+":1", reg.Ref("team/regctl:late"))
	case toolBuildah.name:
		id := localImage(t, c, "late "+randomPassword(t))
		c.MustFail(t, refusedWords, "", "push", "--tls-verify=false", id, "docker://"+reg.Ref("team/buildah:late"))
	case toolPodman.name:
		id := localImage(t, c, "late "+randomPassword(t))
		c.MustFail(t, refusedWords, "", "push", "--tls-verify=false", id, "docker://"+reg.Ref("team/podman:late"))
	case toolSkopeo.name:
		src := filepath.Join(c.WorkDir(), "late")
		writeOCILayout(t, src, "1", "late "+randomPassword(t))
		c.MustFail(t, refusedWords, "", "copy", "--dest-tls-verify=false", "oci:"+src+":1", "docker://"+reg.Ref("team/skopeo:late"))
	case toolHelm.name:
		chart := helmPackage(t, c, "late-chart")
		c.MustFail(t, refusedWords, "", "push", chart, "oci://"+reg.Ref("team/charts"), "--plain-http")
	case toolCtr.name:
		c.MustRun(t, "", append(append([]string{"images", "pull", "--plain-http", "--all-platforms"}, seedAuth...), seedRef)...)
		dst := reg.Ref("team/ctr:late")
		c.MustRun(t, "", "images", "tag", seedRef, dst)
		c.MustFail(t, refusedWords, "", append(append([]string{"images", "push", "--plain-http"}, auth...), dst)...)
	default:
		t.Fatalf("no refused push for %s", tl.name)
	}
}

// matrixRow is one line of the client × registry matrix the refresh
// scenario logs at its end.
type matrixRow struct {
	client, registry, setting, result string
	requests                          []string // tokenRequest shapes seen
	audit                             []string // audit refresh outcomes seen
}

// refreshOutcomes returns the distinct audit `refresh` values (empty as
// "none") of the events after mark m. A request whose body never arrived
// (400, nothing requested) is left out: containerd cancels its other
// requests in flight when one push is refused, and the recording proxy
// then cuts the forwarded request short.
func refreshOutcomes(events []AuditEvent, m int) []string {
	seen := map[string]bool{}
	for _, e := range events[m:] {
		if e.Status == http.StatusBadRequest && len(e.Requested) == 0 && e.Refresh == "" {
			continue
		}
		v := e.Refresh
		if v == "" {
			v = "none"
		}
		seen[v] = true
	}
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// logMatrix writes the rows as a table into the test log.
func logMatrix(t *testing.T, rows []matrixRow) {
	t.Helper()
	var b strings.Builder
	b.WriteString("client matrix:\n| client | registry | refresh tokens | result | token requests seen | audit refresh |\n|---|---|---|---|---|---|\n")
	for _, r := range rows {
		b.WriteString("| " + r.client + " | " + r.registry + " | " + r.setting + " | " + r.result + " | " +
			strings.Join(r.requests, "; ") + " | " + strings.Join(r.audit, ", ") + " |\n")
	}
	t.Log(b.String())
}

// newRow is a matrix row before its step ran.
func newRow(client, registry, setting, result string) matrixRow {
	return matrixRow{client: client, registry: registry, setting: setting, result: result}
}

// dockerEntry is docker's config.json entry for host.
func dockerEntry(t *testing.T, c *Client, host string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(c.Home, "docker", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Auths map[string]map[string]any `json:"auths"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg.Auths[host]
}

// clientWithDockerConfig is a fresh client reading the config.json docker
// wrote (oras through its --registry-config, which has the same format).
func clientWithDockerConfig(t *testing.T, tl tool, docker *Client) *Client {
	t.Helper()
	c := newClient(t, tl)
	raw, err := os.ReadFile(filepath.Join(docker.Home, "docker", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(c.Home, "docker", "config.json"), string(raw))
	writeFile(t, filepath.Join(c.Home, "oras.json"), string(raw))
	return c
}
