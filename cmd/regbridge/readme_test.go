package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/regbridge/regbridge/providers"
)

// TestREADMEProviderExamplesBuild decodes and builds every `providers:`
// block of the README with the real provider factories, so a renamed or
// misspelled key in the documentation fails the tests. Files the examples
// name under /etc/regbridge are created in a temporary directory.
func TestREADMEProviderExamplesBuild(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(providers:\n.*?)```").FindAllStringSubmatch(string(raw), -1)
	if len(blocks) < 4 {
		t.Fatalf("found %d providers blocks in the README, want at least 4", len(blocks))
	}
	for i, b := range blocks {
		dir := t.TempDir()
		block := strings.ReplaceAll(b[1], "/etc/regbridge/", dir+"/")
		for _, f := range regexp.MustCompile(regexp.QuoteMeta(dir)+`/[\w.-]+`).FindAllString(block, -1) {
			os.WriteFile(f, []byte("secret\n"), 0o600)
		}
		src := "services: [{name: registry.example.com, issuer: regbridge}]\nkeys: [{private_key: k.pem}]\npolicy: p.yaml\npublic_url: https://auth.example.com\n" + block
		cfg, err := parseConfig([]byte(src), filepath.Join(dir, "README-block.yaml"), nil)
		if err != nil {
			t.Errorf("README providers block %d:\n%s\n%v", i+1, b[1], err)
			continue
		}
		if _, _, err := buildProviders(cfg, providerFactories(), providers.Deps{}); err != nil {
			t.Errorf("README providers block %d:\n%s\n%v", i+1, b[1], err)
		}
	}
}
