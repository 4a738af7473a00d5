package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regbridge/regbridge/providers"
)

// The key settings (jwks_uri, jwks, algorithms) are one struct inlined into
// the oidc and authority entries: they must stay known keys, and a typo next
// to them must still be an unknown key with its line.
func TestSharedKeySettingsAreKnownKeysAndTyposBesideThemKeepTheirLines(t *testing.T) {
	dir := t.TempDir()
	src := `services: [{name: r, issuer: i}]
keys: [{private_key: k.pem}]
policy: p.yaml
providers:
  - id: ci
    type: oidc
    issuer: https://issuer.example
    audiences: [regbridge]
    jwks_uri: https://issuer.example/keys
    algorithms: [ES256]
    jwks_url: https://issuer.example/keys
  - id: as
    type: authority
    issuer: https://as.example/
    audiences: [registry]
    jwks_uri: https://as.example/jwks
    algorithms: [RS256]
    algorithm: [RS256]
`
	path := filepath.Join(dir, "regbridge.yaml")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = buildProviders(cfg, providerFactories(), providers.Deps{})
	if err == nil {
		t.Fatal("typos accepted")
	}
	for _, want := range []string{
		path + `:11: unknown key jwks_url (did you mean "jwks_uri"?)`,
		path + `:18: unknown key algorithm (did you mean "algorithms"?)`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
	for _, known := range []string{"key jwks_uri", "key algorithms", "key jwks "} {
		if strings.Contains(err.Error(), known) {
			t.Errorf("%s reported unknown:\n%v", known, err)
		}
	}

	fixed := strings.NewReplacer("    jwks_url: https://issuer.example/keys\n", "", "    algorithm: [RS256]\n", "").Replace(src)
	if err := os.WriteFile(path, []byte(fixed), 0o600); err != nil {
		t.Fatal(err)
	}
	if cfg, err = loadConfig(path, map[string]string{"REGBRIDGE_PROVIDERS_CI_ALGORITHMS": "[HS256]"}); err != nil {
		t.Fatal(err)
	}
	_, _, err = buildProviders(cfg, providerFactories(), providers.Deps{})
	if err == nil || !strings.Contains(err.Error(), `algorithms[0]: "HS256" is not allowed`) {
		t.Fatalf("algorithms from the environment: err = %v, want HS256 refused", err)
	}
	if cfg, err = loadConfig(path, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := buildProviders(cfg, providerFactories(), providers.Deps{}); err != nil {
		t.Fatalf("without the typos: %v", err)
	}
}
