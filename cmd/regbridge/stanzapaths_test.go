package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestRegistryConfigPrintsAnAbsoluteBundleForARelativeConfig(t *testing.T) {
	out, err := run(t, "registry-config", "--config", examplePath)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`rootcertbundle: (\S+)`).FindStringSubmatch(out)
	if m == nil || !filepath.IsAbs(m[1]) {
		t.Fatalf("rootcertbundle is not an absolute path:\n%s", out)
	}
	if _, err := os.Stat(m[1]); err != nil {
		t.Fatalf("rootcertbundle names no file: %v", err)
	}
}

func TestRegistryConfigForAKidServiceNamesARealJWKSFileAndHowToWriteIt(t *testing.T) {
	dir := t.TempDir()
	if _, err := run(t, "keygen", "--key", filepath.Join(dir, "k.pem"), "--cert", filepath.Join(dir, "k.crt")); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "regbridge.yaml")
	os.WriteFile(cfg, []byte("services: [{name: r.example.com, issuer: regbridge, header: kid, registry: v3}]\nkeys: [{private_key: k.pem}]\npolicy: p.yaml\n"), 0o644)
	out, err := run(t, "registry-config", "--config", cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, "jwks.json")
	if !strings.Contains(out, "jwks: "+want+"\n") || !strings.Contains(out, "regbridge registry-config --jwks "+want) || strings.Contains(out, "/path/to") {
		t.Fatalf("want jwks: %s and the command that writes it:\n%s", want, out)
	}
	if _, err := run(t, "registry-config", "--config", cfg, "--jwks", want); err != nil {
		t.Fatal(err)
	}
	if raw, err := os.ReadFile(want); err != nil || !strings.Contains(string(raw), `"kid"`) {
		t.Fatalf("the suggested command did not write the JWKS: %v %s", err, raw)
	}
}

func TestARealmOnAnIPLiteralIsWarnedAboutNamingTheClientsThatRefuseIt(t *testing.T) {
	for _, tc := range []struct {
		realm string
		want  []string
	}{
		{"http://127.0.0.1:5001/token", []string{"crane", "oras", "loopback"}},
		{"http://[::1]:5001/token", []string{"crane", "oras"}},
		{"https://10.1.2.3/token", []string{"crane", "private"}},
		{"http://169.254.1.1/token", []string{"crane", "oras"}},
		{"http://localhost:5001/token", nil},
		{"https://auth.example.com/token", nil},
		{"https://93.184.216.34/token", nil},
	} {
		got := strings.Join(realmWarnings(tc.realm), "\n")
		if (got == "") != (tc.want == nil) {
			t.Errorf("%s: warning %q, want one: %v", tc.realm, got, tc.want != nil)
		}
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: warning %q does not name %q", tc.realm, got, w)
			}
		}
		if strings.Contains(tc.realm, "10.1.2.3") && strings.Contains(got, "oras") {
			t.Errorf("%s: oras ≥ 1.3.6 no longer blocks RFC 1918 addresses: %q", tc.realm, got)
		}
	}
}
