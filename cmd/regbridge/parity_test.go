package main

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/crypto/bcrypt"

	"github.com/regbridge/regbridge/bridge/signing"
)

func bcryptHash(t *testing.T, pw string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

func TestCheckRefusesEveryConfigurationServeRefuses(t *testing.T) {
	dir := t.TempDir()
	signer, cert, err := signing.GenerateKey(jose.RS256, "test", 24*time.Hour, time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := signing.WriteKeyFiles(filepath.Join(dir, "key.pem"), filepath.Join(dir, "cert.pem"), signer, cert); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte("version: 1\nrules:\n  - {id: pub, who: anyone, grant: [{repository: \"public/**\", actions: [pull]}]}\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "short-key"), []byte("short\n"), 0o600)
	cases := map[string]string{
		"a PS256 key for a service that distribution 2.8 must accept": `services: [{name: r, issuer: i, registry: any}]
keys: [{private_key: key.pem, certificate: cert.pem, algorithm: PS256}]
policy: policy.yaml
`,
		"an audit key that is too short": `services: [{name: r, issuer: i}]
keys: [{private_key: key.pem, certificate: cert.pem}]
policy: policy.yaml
observability: {audit_key_file: short-key}
`,
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, "config.yaml")
			if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := loadConfig(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, serveErr := newRuntime(cfg, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now)
			if serveErr == nil {
				t.Fatal("serve accepts it; the case is no test of check")
			}
			out, checkErr := run(t, "check", "--config", path)
			if checkErr == nil {
				t.Fatalf("check says %q for a configuration serve refuses with: %v", strings.TrimSpace(out), serveErr)
			}
		})
	}
}

// explainGranted runs explain --json for user and scope against config and
// returns the granted scopes.
func explainGranted(t *testing.T, config, user, scope string) []string {
	t.Helper()
	out, err := run(t, "explain", "--config", config, "--provider", "users", "--username", user, "--json", scope)
	if err != nil && !errors.Is(err, errNothingGranted) {
		t.Fatalf("explain %s %s: %v\n%s", user, scope, err, out)
	}
	var ex struct {
		Granted []string `json:"granted"`
	}
	if err := json.Unmarshal([]byte(out), &ex); err != nil {
		t.Fatalf("explain output: %v\n%s", err, out)
	}
	if (len(ex.Granted) == 0) != errors.Is(err, errNothingGranted) {
		t.Errorf("explain %s %s: granted %v but err %v", user, scope, ex.Granted, err)
	}
	return ex.Granted
}

func TestExplainAndTheServerGrantTheSameForTheSameRequests(t *testing.T) {
	ts, _, dir := startBridge(t, map[string]string{
		"config.yaml": `services: [{name: registry.example.com, issuer: regbridge}]
keys: [{private_key: key.pem, certificate: cert.pem}]
policy: policy.yaml
providers:
  - {id: users, type: static, htpasswd: htpasswd, robots: robots, groups: groups}
`,
		"htpasswd": "alice:" + bcryptHash(t, "alice-pw") + "\nbob:" + bcryptHash(t, "bob-pw") + "\n",
		"robots":   "ci:" + bcryptHash(t, "ci-pw") + "\n",
		"groups":   "platform: bob ci\n",
		"policy.yaml": `version: 1
rules:
  - id: own
    who: [users]
    grant: [{repository: "${username}/**", actions: [pull, push]}]
  - id: platform
    who: [users]
    when: {groups: [platform]}
    grant: [{repository: "platform/**", actions: [pull, push]}]
  - id: robots-pull
    who: [users]
    when: {claims: {robot: true}}
    grant: [{repository: "releases/**", actions: [pull]}]
`,
	}, time.Now)
	config := filepath.Join(dir, "config.yaml")
	passwords := map[string]string{"alice": "alice-pw", "bob": "bob-pw", "ci": "ci-pw"}
	scopes := []string{"repository:platform/app:pull,push", "repository:alice/app:push", "repository:releases/app:pull", "repository:bob/x:pull"}
	for user, pw := range passwords {
		for _, scope := range scopes {
			status, body := tokenStatus(t, ts.URL+"/token?service=registry.example.com&scope="+scope, user, pw)
			if status != 200 {
				t.Fatalf("%s %s: status %d %v", user, scope, status, body)
			}
			server := strings.Fields(accessString(decodeClaims(t, body["token"].(string))))
			explained := explainGranted(t, config, user, scope)
			slices.Sort(server)
			slices.Sort(explained)
			if !slices.Equal(server, explained) {
				t.Errorf("%s asking %s: the server grants %v, explain says %v", user, scope, server, explained)
			}
		}
	}
}

func TestExplainRefusesAProviderThatIsNotConfigured(t *testing.T) {
	out, err := run(t, "explain", "--config", examplePath, "--provider", "nosuch", "--username", "bob", "repository:bob/app:pull")
	if err == nil || !strings.Contains(err.Error(), `--provider "nosuch" is not configured (configured: users)`) {
		t.Errorf("explain --provider nosuch: err %v\n%s", err, out)
	}
}
