package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// initArgs are the flags each provider needs besides --dir.
var initArgs = map[string][]string{
	"static":              nil,
	"gitea":               {"--base-url", "https://git.example.com"},
	"github":              nil,
	"gitlab":              nil,
	"oidc-github-actions": {"--owner-id", "1234567"},
	"oidc-gitlab-ci":      {"--owner-id", "72"},
	"sourcehut":           nil,
}

func runInitIn(t *testing.T, dir, provider string, extra ...string) (string, error) {
	t.Helper()
	args := append([]string{"init", "--dir", dir, "--provider", provider}, initArgs[provider]...)
	return run(t, append(args, extra...)...)
}

func TestInitWritesFilesThatPassCheckForEveryProvider(t *testing.T) {
	if len(initArgs) != len(initProviders) {
		t.Fatalf("initArgs lists %d providers, init offers %d: %v", len(initArgs), len(initProviders), initProviderNames())
	}
	for _, p := range initProviderNames() {
		t.Run(p, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "config")
			if out, err := runInitIn(t, dir, p); err != nil {
				t.Fatalf("init: %v\n%s", err, out)
			}
			out, err := run(t, "check", "--config", filepath.Join(dir, "regbridge.yaml"))
			if err != nil || !strings.HasPrefix(out, "ok: ") {
				t.Fatalf("check of what init wrote: %v\n%s", err, out)
			}
			if strings.Contains(out, "warning") {
				t.Errorf("check warns about what init wrote:\n%s", out)
			}
		})
	}
}

func TestInitWritesEveryFilePrivateAndPrintsAPasswordThatMatchesTheHtpasswd(t *testing.T) {
	dir := t.TempDir()
	out, err := run(t, "init", "--dir", dir, "--user", "ops")
	if err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	for _, f := range []string{initConfigFile, initPolicyFile, initKeyFile, initCertFile, initHtpasswd, initRobots, initGroups} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", f, st.Mode().Perm())
		}
	}
	m := regexp.MustCompile(`(?m)^user ops, password: (\S+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("init did not print the password:\n%s", out)
	}
	if strings.Count(out, m[1]) != 1 {
		t.Errorf("the password is printed %d times, want once", strings.Count(out, m[1]))
	}
	raw, err := os.ReadFile(filepath.Join(dir, initHtpasswd))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), m[1]) {
		t.Fatal("the htpasswd file holds the password in clear")
	}
	hash := regexp.MustCompile(`(?m)^ops:(\S+)$`).FindStringSubmatch(string(raw))
	if hash == nil || bcrypt.CompareHashAndPassword([]byte(hash[1]), []byte(m[1])) != nil {
		t.Fatalf("the printed password does not match the htpasswd entry:\n%s", raw)
	}
	// The account is an admin of the written policy, as a login would see it.
	out, err = run(t, "explain", "--config", filepath.Join(dir, initConfigFile), "--provider", "users", "--username", "ops", "repository:team/app:push")
	if err != nil || !strings.Contains(out, "repository:team/app:push") {
		t.Fatalf("the init user is not granted push by the written policy: %v\n%s", err, out)
	}
}

func TestInitRunAgainWithoutForceChangesNothing(t *testing.T) {
	dir := t.TempDir()
	if out, err := run(t, "init", "--dir", dir); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	before := snapshotDir(t, dir)
	out, err := run(t, "init", "--dir", dir, "--provider", "github")
	if err == nil || !strings.Contains(err.Error(), "already exist; nothing was written") || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("a second init without --force: err %v, want a refusal naming --force\n%s", err, out)
	}
	if after := snapshotDir(t, dir); after != before {
		t.Fatalf("a refused init changed the files:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	// One existing file is enough to refuse.
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, initPolicyFile), []byte("mine\n"), 0o600)
	if _, err := run(t, "init", "--dir", other); err == nil || !strings.Contains(err.Error(), initPolicyFile) {
		t.Fatalf("init over one existing file: err %v, want a refusal naming it", err)
	}
	entries, _ := os.ReadDir(other)
	mine, _ := os.ReadFile(filepath.Join(other, initPolicyFile))
	if len(entries) != 1 || string(mine) != "mine\n" {
		t.Fatalf("a refused init wrote files: %d entries, policy %q", len(entries), mine)
	}
}

func TestInitWithForceReplacesTheFilesWithANewKey(t *testing.T) {
	dir := t.TempDir()
	if out, err := run(t, "init", "--dir", dir); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	key1, _ := os.ReadFile(filepath.Join(dir, initKeyFile))
	if out, err := runInitIn(t, dir, "gitlab", "--force"); err != nil {
		t.Fatalf("init --force: %v\n%s", err, out)
	}
	key2, _ := os.ReadFile(filepath.Join(dir, initKeyFile))
	cfg, _ := os.ReadFile(filepath.Join(dir, initConfigFile))
	if string(key1) == string(key2) || !strings.Contains(string(cfg), "type: gitlab") {
		t.Fatal("init --force did not replace the key and configuration")
	}
	if out, err := run(t, "check", "--config", filepath.Join(dir, initConfigFile)); err != nil {
		t.Fatalf("check after init --force: %v\n%s", err, out)
	}
}

func TestInitRefusesFlagsItCannotUse(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"an unknown provider", []string{"--provider", "ldap"}, `--provider "ldap": choose one of`},
		{"gitea without its URL", []string{"--provider", "gitea"}, "--base-url: required with --provider gitea"},
		{"GitHub Actions without the owner id", []string{"--provider", "oidc-github-actions"}, "--owner-id: required"},
		{"an owner name instead of its id", []string{"--provider", "oidc-gitlab-ci", "--owner-id", "acme"}, "--owner-id: required"},
		{"an owner id for a forge", []string{"--provider", "github", "--owner-id", "1"}, "--owner-id: not used"},
		{"a base URL for static users", []string{"--base-url", "https://x.example"}, "--base-url: not used"},
		{"a user name with a slash", []string{"--user", "a/b"}, `--user "a/b"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := run(t, append([]string{"init", "--dir", dir}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want it to say %q", err, tc.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Fatalf("a refused init wrote %d entries", len(entries))
			}
		})
	}
}

// snapshotDir is every file under dir with its mode and content.
func snapshotDir(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		st, _ := d.Info()
		raw, _ := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		b.WriteString(rel + " " + st.Mode().String() + " " + st.ModTime().String() + "\n" + strings.TrimSpace(string(raw)) + "\n")
		return nil
	})
	return b.String()
}
