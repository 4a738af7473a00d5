package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const systemdUnit = "../../deploy/systemd/regbridge.service"

// unitSettings reads a unit file as section.Key -> values (in order).
func unitSettings(t *testing.T, path string) map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]")
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("%s: %q is not KEY=VALUE", path, line)
			}
			out[section+"."+k] = append(out[section+"."+k], v)
		}
	}
	return out
}

func TestTheSystemdUnitRunsUnprivilegedOnAReadOnlySystem(t *testing.T) {
	u := unitSettings(t, systemdUnit)
	for _, tc := range []struct{ key, want string }{
		{"Service.User", "regbridge"},
		{"Service.NoNewPrivileges", "yes"},
		{"Service.CapabilityBoundingSet", ""},
		{"Service.AmbientCapabilities", ""},
		{"Service.ProtectSystem", "strict"},
		{"Service.ProtectHome", "yes"},
		{"Service.PrivateTmp", "yes"},
		{"Service.PrivateDevices", "yes"},
		{"Service.RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"},
		{"Service.SystemCallFilter", "@system-service"},
		{"Service.SystemCallArchitectures", "native"},
		{"Service.MemoryDenyWriteExecute", "yes"},
		{"Service.RestrictSUIDSGID", "yes"},
		{"Service.ReadWritePaths", "/var/lib/regbridge /var/log/regbridge"},
		{"Service.StateDirectory", "regbridge"},
		{"Service.UMask", "0077"},
		{"Service.ExecStart", "/usr/local/bin/regbridge serve --config /etc/regbridge/regbridge.yaml"},
		{"Service.ExecReload", "/bin/kill -HUP $MAINPID"},
		{"Service.ExecReload", "/usr/local/bin/regbridge check --config /etc/regbridge/regbridge.yaml"},
		{"Install.WantedBy", "multi-user.target"},
	} {
		found := false
		for _, v := range u[tc.key] {
			found = found || v == tc.want
		}
		if !found {
			t.Errorf("%s: %s has %q, want %q among its values", systemdUnit, tc.key, u[tc.key], tc.want)
		}
	}
	// check runs before the signal, so a bad configuration fails the reload.
	if r := u["Service.ExecReload"]; len(r) != 2 || !strings.Contains(r[0], " check ") {
		t.Errorf("ExecReload %q: want check first, then the HUP", r)
	}
}

func TestTheSystemdUnitWaitsLongerThanTheDrainAndInFlightRequests(t *testing.T) {
	u := unitSettings(t, systemdUnit)
	v := u["Service.TimeoutStopSec"]
	if len(v) != 1 {
		t.Fatalf("TimeoutStopSec: %q, want one value", v)
	}
	d, err := time.ParseDuration(v[0])
	if err != nil {
		t.Fatal(err)
	}
	if d <= defaultDrain+inFlightWait {
		t.Fatalf("TimeoutStopSec=%s: systemd would kill the drain (%s) and in-flight wait (%s)", d, defaultDrain, inFlightWait)
	}
}

// TestTheSystemdUnitPassesSystemdAnalyze runs systemd-analyze verify and
// its offline security score on the unit. verify checks that the commands
// exist, so the copy names this test binary in place of
// /usr/local/bin/regbridge.
func TestTheSystemdUnitPassesSystemdAnalyze(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed; the unit's keys are checked by the other tests")
	}
	raw, err := os.ReadFile(systemdUnit)
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	unit := filepath.Join(t.TempDir(), "regbridge.service")
	if err := os.WriteFile(unit, []byte(strings.ReplaceAll(string(raw), "/usr/local/bin/regbridge", self)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(analyze, "verify", unit).CombinedOutput(); err != nil || len(out) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	// Exposure 0 (confined) to 10 (unconfined); the threshold is in tenths.
	if out, err := exec.Command(analyze, "security", "--offline=yes", "--threshold=20", unit).CombinedOutput(); err != nil {
		t.Fatalf("systemd-analyze security: exposure above 2.0: %v\n%s", err, out)
	}
}
