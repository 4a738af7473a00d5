package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// readmeBlock is the first fenced block of lang after heading in the
// README.
func readmeBlock(t *testing.T, readme, heading, lang string) string {
	t.Helper()
	i := strings.Index(readme, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("README has no heading %q", heading)
	}
	m := regexp.MustCompile("(?s)```" + lang + "\n(.*?)```").FindStringSubmatch(readme[i:])
	if m == nil {
		t.Fatalf("README: no %s block under %q", lang, heading)
	}
	return m[1]
}

// TestTheREADMEConfigurationAndPolicyPassCheckAsPasted writes the
// README's configuration and policy blocks unchanged, creates the files
// its instructions name, and runs check on them.
func TestTheREADMEConfigurationAndPolicyPassCheckAsPasted(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	config := readmeBlock(t, readme, "## Configuration", "yaml")
	policy := readmeBlock(t, readme, "## The policy", "yaml")
	steps := readmeBlock(t, readme, "## Configuration", "sh")
	for _, want := range []string{"regbridge keygen --key keys/es256.pem --cert keys/es256.crt", "htpasswd -Bc htpasswd alice", "touch robots groups", "regbridge check --config regbridge.yaml"} {
		if !strings.Contains(steps, want) {
			t.Fatalf("the README's steps no longer say %q; update this test with them:\n%s", want, steps)
		}
	}
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("regbridge.yaml", config)
	write("policy.yaml", policy)
	os.Mkdir(filepath.Join(dir, "keys"), 0o700)
	if out, err := run(t, "keygen", "--key", filepath.Join(dir, "keys/es256.pem"), "--cert", filepath.Join(dir, "keys/es256.crt")); err != nil {
		t.Fatalf("keygen: %v\n%s", err, out)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte("correct horse"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	write("htpasswd", "alice:"+string(hash)+"\n")
	write("robots", "")
	write("groups", "")
	out, err := run(t, "check", "--config", filepath.Join(dir, "regbridge.yaml"))
	if err != nil || !strings.HasPrefix(out, "ok: ") {
		t.Fatalf("the README's configuration and policy fail check:\n%v\n%s", err, out)
	}
}
