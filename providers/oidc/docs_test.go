package oidc_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/regbridge/regbridge/acl"
	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/oidc"
	"gopkg.in/yaml.v3"
)

var yamlBlock = regexp.MustCompile("(?s)```yaml\n(.*?)```")

// TestDocumentedPoliciesAndProvidersLoad loads every policy and provider
// entry shown in docs/oidc.md, with the facts of the documented providers,
// so that the lints and the policies' inline tests run.
func TestDocumentedPoliciesAndProvidersLoad(t *testing.T) {
	doc, err := os.ReadFile("../../docs/oidc.md")
	if err != nil {
		t.Fatal(err)
	}
	facts := map[string]providers.PolicyFacts{}
	var policies []string
	entries := 0
	for _, m := range yamlBlock.FindAllStringSubmatch(string(doc), -1) {
		block := m[1]
		switch {
		case strings.HasPrefix(block, "version: 1"):
			policies = append(policies, block)
		case strings.Contains(block, "type: oidc"):
			var list []map[string]any
			if err := yaml.Unmarshal([]byte(strings.TrimPrefix(block, "providers:\n")), &list); err != nil {
				t.Fatalf("provider block: %v\n%s", err, block)
			}
			for _, raw := range list {
				id, _ := raw["id"].(string)
				delete(raw, "id")
				delete(raw, "type")
				b, _ := yaml.Marshal(raw)
				var cfg oidc.Config
				dec := yaml.NewDecoder(strings.NewReader(string(b)))
				dec.KnownFields(true)
				if err := dec.Decode(&cfg); err != nil {
					t.Fatalf("provider %s: %v", id, err)
				}
				if cfg.JWKSFile != "" {
					cfg.JWKSFile = "" // the documented path does not exist here
				}
				p, err := oidc.New(id, cfg, noDeps())
				if err != nil {
					t.Fatalf("provider %s: %v", id, err)
				}
				facts[id] = p.PolicyFacts()
				entries++
			}
		}
	}
	if len(policies) < 2 || entries < 4 {
		t.Fatalf("found %d policies and %d provider entries in docs/oidc.md", len(policies), entries)
	}
	for _, pol := range policies {
		p, err := acl.Parse([]byte(pol), "docs/oidc.md", acl.Options{Providers: facts, Services: []string{"registry.example.com"}})
		if err != nil {
			t.Fatalf("policy: %v\n%s", err, pol)
		}
		if p.TestCount() == 0 {
			t.Errorf("documented policy has no inline tests")
		}
	}
}
