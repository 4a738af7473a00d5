package e2e

import (
	"debug/buildinfo"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Environment switches.
const (
	// envTools names the directory with the pinned Go tools (registry,
	// crane, oras). Unset: every e2e test is skipped.
	envTools = "REGBRIDGE_E2E_TOOLS"
	// envRequired=1 turns a missing tool into a failure instead of a skip.
	envRequired = "REGBRIDGE_E2E_REQUIRED"
	// envBin names a prebuilt regbridge binary to test instead of building
	// the working tree's.
	envBin = "REGBRIDGE_E2E_BIN"
)

// tool is one external program, found either in the tools directory or on
// PATH, and checked for its pinned version.
type tool struct {
	name    string   // binary name
	inTools bool     // looked up in $REGBRIDGE_E2E_TOOLS (else on PATH)
	version []string // argv after the binary that prints the version
	want    string   // substring the version output must contain
	// module, when set, replaces running the binary: its embedded Go build
	// information must name this module (main or dependency) at version
	// want, and carry every one of tags (hydra has no useful --version).
	module string
	tags   []string
	// optional tools are skipped even when the e2e run is required (the
	// docker CLI comes with the machine image and cannot be installed from
	// the package registries that CI reaches).
	optional bool
}

// The pinned tools of the e2e suite.
var (
	toolRegistry28 = tool{name: "docker-registry", version: []string{"--version"}, want: "2.8.2"}
	toolRegistry3  = tool{name: "registry", inTools: true, version: []string{"--version"}, want: "v3.1.2"}
	// distribution v3.0.0, installed beside v3.1.2 under its own name.
	toolRegistry30 = tool{name: "registry-3.0.0", inTools: true, module: "github.com/distribution/distribution/v3", want: "v3.0.0"}
	toolCrane      = tool{name: "crane", inTools: true, version: []string{"version"}, want: "v0.22.1"}
	toolOras       = tool{name: "oras", inTools: true, version: []string{"version"}, want: "1.3.6"}
	toolSkopeo     = tool{name: "skopeo", version: []string{"--version"}, want: "1.9.3"}
	toolPodman     = tool{name: "podman", version: []string{"--version"}, want: "4.3.1"}
	toolNginx      = tool{name: "nginx", version: []string{"-v"}, want: "nginx/1.22.1"}
	toolDocker     = tool{name: "docker", version: []string{"--version"}, want: "28.2.2", optional: true}
	toolBuildah    = tool{name: "buildah", version: []string{"--version"}, want: "buildah version 1.28."}
	// ctr talks to a containerd (same package) that the tests start.
	toolCtr        = tool{name: "ctr", version: []string{"--version"}, want: "containerd 1.6.20~ds1"}
	toolContainerd = tool{name: "containerd", version: []string{"--version"}, want: "containerd 1.6.20~ds1"}
	toolRegctl     = tool{name: "regctl", inTools: true, module: "github.com/regclient/regclient", want: "v0.11.7"}
	// `go install` leaves helm's own version string at "v4.3".
	toolHelm = tool{name: "helm", inTools: true, module: "helm.sh/helm/v4", want: "v4.3.2"}
	// The identity servers of the provider scenarios, built by
	// .ci/install-tools from the modules under testdata/e2e.
	toolZitadelOP = tool{name: "zitadelop", inTools: true, module: "github.com/zitadel/oidc/v3", want: "v3.51.17"}
	toolHydra     = tool{name: "hydra", inTools: true, module: "github.com/ory/hydra/v2", want: "v2.3.0",
		tags: []string{"sqlite"}}
)

// toolCache remembers each lookup for the whole run.
var toolCache sync.Map // tool name -> toolLookup

type toolLookup struct {
	path string
	err  error
}

// needTool returns the path of a pinned tool, or skips the test (fails it
// when REGBRIDGE_E2E_REQUIRED=1 and the tool is not optional).
func needTool(t *testing.T, tl tool) string {
	t.Helper()
	needE2E(t)
	v, ok := toolCache.Load(tl.name)
	if !ok {
		p, err := lookupTool(tl)
		v, _ = toolCache.LoadOrStore(tl.name, toolLookup{p, err})
	}
	l := v.(toolLookup)
	if l.err != nil {
		if os.Getenv(envRequired) == "1" && !tl.optional {
			t.Fatalf("%v (%s=1; run .ci/install-tools)", l.err, envRequired)
		}
		t.Skipf("skipping: %v (run .ci/install-tools)", l.err)
	}
	return l.path
}

func lookupTool(tl tool) (string, error) {
	var path string
	if tl.inTools {
		path = filepath.Join(os.Getenv(envTools), tl.name)
		if _, err := os.Stat(path); err != nil {
			return "", fmt.Errorf("%s not found in %s=%s", tl.name, envTools, os.Getenv(envTools))
		}
	} else {
		p, err := exec.LookPath(tl.name)
		if err != nil {
			return "", fmt.Errorf("%s not found on PATH", tl.name)
		}
		path = p
	}
	if tl.module != "" {
		return path, checkBuildInfo(path, tl)
	}
	out, err := exec.Command(path, tl.version...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s %s: %v: %s", path, strings.Join(tl.version, " "), err, out)
	}
	if !strings.Contains(string(out), tl.want) {
		return "", fmt.Errorf("%s is not the pinned version %s: %s", path, tl.want, strings.TrimSpace(string(out)))
	}
	return path, nil
}

// needE2E skips the test unless the e2e suite is switched on.
func needE2E(t *testing.T) {
	t.Helper()
	if os.Getenv(envTools) == "" {
		t.Skipf("skipping end-to-end test: %s is not set (run .ci/install-tools, then set it to ~/.cache/regbridge/e2e-tools/bin)", envTools)
	}
	if buildErr != nil {
		t.Fatalf("building regbridge: %v", buildErr)
	}
}

// checkBuildInfo checks a Go binary's embedded build information for the
// pinned module version and build tags.
func checkBuildInfo(path string, tl tool) error {
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%s: no Go build information: %v", path, err)
	}
	version := ""
	if bi.Main.Path == tl.module {
		version = bi.Main.Version
	}
	for _, d := range bi.Deps {
		if d.Path == tl.module {
			version = d.Version
		}
	}
	if version != tl.want {
		return fmt.Errorf("%s is not built from %s %s (found %q)", path, tl.module, tl.want, version)
	}
	var tags string
	for _, s := range bi.Settings {
		if s.Key == "-tags" {
			tags = s.Value
		}
	}
	for _, want := range tl.tags {
		found := false
		for _, tag := range strings.Split(tags, ",") {
			found = found || tag == want
		}
		if !found {
			return fmt.Errorf("%s is not built with -tags %s (tags %q)", path, want, tags)
		}
	}
	return nil
}
