package gitea

import (
	"testing"

	"github.com/regbridge/regbridge/acl"
	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/internal/docstest"
)

func TestTheDocsProviderConfigAndPolicyLoad(t *testing.T) {
	doc := docstest.Section(t, "../../docs/forges.md", "## Gitea and Forgejo")
	var cfg Config
	docstest.ProviderEntry(t, doc, "### Provider configuration", &cfg)
	p, err := NewForgejo("forgejo", cfg, providers.Deps{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	pol, err := acl.Parse([]byte(docstest.YAMLBlock(t, doc, "### Policy")), "docs/forges.md", acl.Options{
		Providers: map[string]providers.PolicyFacts{"forgejo": p.PolicyFacts()},
		Services:  []string{"registry.example.com"},
	})
	if err != nil {
		t.Fatalf("policy: %v", err)
	}
	if n := pol.TestCount(); n != 2 {
		t.Errorf("the docs policy has %d inline tests, want 2", n)
	}
}
