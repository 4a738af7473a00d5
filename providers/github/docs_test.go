package github

import (
	"testing"

	"github.com/regbridge/regbridge/acl"
	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/internal/docstest"
)

func TestTheDocsProviderConfigAndPolicyLoad(t *testing.T) {
	doc := docstest.Section(t, "../../docs/forges.md", "## GitHub (github.com and GitHub Enterprise Server)")
	var cfg Config
	docstest.ProviderEntry(t, doc, "### Provider configuration", &cfg)
	p, err := New("github", cfg, providers.Deps{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if _, err := acl.Parse([]byte(docstest.YAMLBlock(t, doc, "### A policy that mirrors repository permissions")), "docs/forges.md", acl.Options{
		Providers: map[string]providers.PolicyFacts{"github": p.PolicyFacts()},
		Services:  []string{"registry.example.com"},
	}); err != nil {
		t.Fatalf("policy: %v", err)
	}
}
