package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Client is one registry client with its own home and configuration
// directory, so that no credential leaks from one client (or from the
// developer's own configuration) into another.
type Client struct {
	Tool tool
	bin  string
	Home string // HOME, TMPDIR and the parent of every config file
	// runRoot is podman's and buildah's short-path run directory.
	runRoot string
	// ctrAddress is the socket of the containerd that ctr talks to, one
	// per ctr client.
	ctrAddress string
	// Env is added to the client's environment last (a later value of a
	// variable wins), e.g. a PATH that finds a credential helper.
	Env []string
}

// newClient finds the pinned tool (skipping the test when it is missing)
// and gives it a fresh home.
func newClient(t *testing.T, tl tool) *Client {
	t.Helper()
	bin := needTool(t, tl)
	home := t.TempDir()
	for _, d := range []string{"docker", "work"} {
		if err := os.MkdirAll(filepath.Join(home, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	// podman insists that an auth file named by REGISTRY_AUTH_FILE exists.
	writeFile(t, filepath.Join(home, "auth.json"), `{"auths":{}}`)
	c := &Client{Tool: tl, bin: bin, Home: home}
	switch tl.name {
	case toolPodman.name, toolBuildah.name:
		// podman refuses a runroot longer than 50 characters, which
		// t.TempDir paths exceed.
		run, err := os.MkdirTemp("", "pm")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(run) })
		c.runRoot = run
	case toolCtr.name:
		c.ctrAddress = startContainerd(t)
	}
	return c
}

// WorkDir is the directory commands run in (oras needs relative paths).
func (c *Client) WorkDir() string { return filepath.Join(c.Home, "work") }

// env isolates each client's credentials:
//   - crane and docker read and write $DOCKER_CONFIG/config.json;
//   - skopeo uses $REGISTRY_AUTH_FILE (and would also read $DOCKER_CONFIG);
//   - oras gets --registry-config from Run;
//   - buildah uses $REGISTRY_AUTH_FILE, then $DOCKER_CONFIG/config.json;
//   - regctl keeps its own $HOME/.regctl/config.json and reads
//     $DOCKER_CONFIG/config.json;
//   - helm uses $HELM_REGISTRY_CONFIG (docker's format);
//   - ctr reads no file: credentials go on its command line.
func (c *Client) env() []string {
	return append(append(baseEnv(c.Home),
		"DOCKER_CONFIG="+filepath.Join(c.Home, "docker"),
		"REGISTRY_AUTH_FILE="+filepath.Join(c.Home, "auth.json"),
		"XDG_RUNTIME_DIR="+c.Home,
		"XDG_CONFIG_HOME="+filepath.Join(c.Home, "config"),
		"HELM_REGISTRY_CONFIG="+c.HelmRegistryConfig(),
	), c.Env...)
}

// HelmRegistryConfig is the file helm keeps registry credentials in.
func (c *Client) HelmRegistryConfig() string { return filepath.Join(c.Home, "helm-registry.json") }

// Run runs the client with args in its work directory; stdin may be empty.
func (c *Client) Run(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	switch c.Tool.name {
	case toolOras.name:
		// Every oras command that talks to a registry takes these two; cp
		// takes them once per side.
		cfg := filepath.Join(c.Home, "oras.json")
		switch {
		case len(args) > 0 && args[0] == "cp":
			args = append(args, "--from-plain-http", "--to-plain-http", "--from-registry-config", cfg, "--to-registry-config", cfg)
		case len(args) > 0 && args[0] != "version":
			args = append(args, "--plain-http", "--registry-config", cfg)
		}
	case toolSkopeo.name:
		// No signature policy file is needed for copies between test
		// registries.
		args = append([]string{"--insecure-policy"}, args...)
	case toolPodman.name:
		// Private image storage, no daemon, no systemd.
		args = append([]string{
			"--root", filepath.Join(c.Home, "storage"),
			"--runroot", c.runRoot,
			"--storage-driver", "vfs",
			"--events-backend", "file",
			"--cgroup-manager", "cgroupfs",
			"--tmpdir", filepath.Join(c.Home, "tmp"),
		}, args...)
	case toolBuildah.name:
		args = append([]string{
			"--root", filepath.Join(c.Home, "storage"),
			"--runroot", c.runRoot,
			"--storage-driver", "vfs",
		}, args...)
	case toolCtr.name:
		args = append([]string{"--address", c.ctrAddress, "--namespace", "e2e"}, args...)
	}
	r := runCmd(t, c.WorkDir(), c.env(), stdin, c.bin, args...)
	r.args = redactArgs(r.args)
	t.Logf("%s (exit %d)", strings.Join(r.args, " "), r.code)
	return r
}

// MustRun is Run for a command that must succeed; it returns stdout.
func (c *Client) MustRun(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	r := c.Run(t, stdin, args...)
	if r.code != 0 {
		t.Fatalf("want success, got:\n%s", r)
	}
	return r.stdout
}

// MustFail is Run for a command that must fail; the client's output must
// mention at least one of the given words (case-insensitive), so that a
// failure for an unrelated reason does not pass.
func (c *Client) MustFail(t *testing.T, words []string, stdin string, args ...string) result {
	t.Helper()
	r := c.Run(t, stdin, args...)
	if r.code == 0 {
		t.Fatalf("want a refusal, got success:\n%s", r)
	}
	// The last matching line is the client's final word.
	lines := strings.Split(r.stderr+"\n"+r.stdout, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		line := lines[i]
		for _, w := range words {
			if strings.Contains(strings.ToLower(line), strings.ToLower(w)) {
				t.Logf("refused as expected: %s", strings.TrimSpace(line))
				return r
			}
		}
	}
	t.Fatalf("want a refusal mentioning one of %q, got:\n%s", words, r)
	return r
}

// Login stores credentials for host the way each client does it.
func (c *Client) Login(t *testing.T, host, user, password string) result {
	t.Helper()
	switch c.Tool.name {
	case toolCrane.name:
		return c.Run(t, password, "auth", "login", host, "-u", user, "--password-stdin")
	case toolSkopeo.name, toolPodman.name:
		return c.Run(t, password, "login", "--tls-verify=false", "-u", user, "--password-stdin", host)
	case toolOras.name:
		return c.Run(t, password, "login", "-u", user, "--password-stdin", host)
	case toolDocker.name:
		return c.Run(t, password, "login", "-u", user, "--password-stdin", host)
	case toolBuildah.name:
		return c.Run(t, password, "login", "--tls-verify=false", "-u", user, "--password-stdin", host)
	case toolRegctl.name:
		c.RegctlPlainHTTP(t, host)
		return c.Run(t, password, "registry", "login", host, "-u", user, "--pass-stdin")
	case toolHelm.name:
		return c.Run(t, password, "registry", "login", host, "--username", user, "--password-stdin", "--plain-http")
	}
	t.Fatalf("no login for %s", c.Tool.name)
	return result{}
}

// MustLogin is Login for credentials that must be accepted.
func (c *Client) MustLogin(t *testing.T, host, user, password string) {
	t.Helper()
	if r := c.Login(t, host, user, password); r.code != 0 {
		t.Fatalf("login as %s: want success, got:\n%s", user, r)
	}
}

// RegctlPlainHTTP makes regctl talk plain HTTP to host (stored in its own
// configuration, beside any login). --skip-check: the check pings the
// registry with whatever credential regctl has, which may be one a test
// wants refused later.
func (c *Client) RegctlPlainHTTP(t *testing.T, host string) {
	t.Helper()
	c.MustRun(t, "", "registry", "set", "--skip-check", "--tls", "disabled", host)
}

// redactArgs returns a command line with the values of ctr's --user and
// --refresh replaced: its command line is ctr's only way to take a
// credential, and the test log should not show it.
func redactArgs(args []string) []string {
	if len(args) == 0 || args[0] != toolCtr.name {
		return args
	}
	out := append([]string(nil), args...)
	for i := 1; i < len(out); i++ {
		if out[i-1] == "--user" || out[i-1] == "--refresh" {
			out[i] = "<redacted>"
		}
	}
	return out
}
