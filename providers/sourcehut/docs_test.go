package sourcehut

import (
	"testing"

	"github.com/regbridge/regbridge/acl"
	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/internal/docstest"
)

func TestTheDocsProviderConfigAndPolicyLoad(t *testing.T) {
	doc := docstest.File(t, "../../docs/sourcehut.md")
	var cfg Config
	docstest.ProviderEntry(t, doc, "## Provider configuration", &cfg)
	p, err := New("sourcehut", cfg, providers.Deps{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}

	policy := docstest.YAMLBlock(t, doc, "## Policy")
	if _, err := acl.Parse([]byte(policy), "docs/sourcehut.md", acl.Options{
		Providers: map[string]providers.PolicyFacts{"sourcehut": p.PolicyFacts()},
		Services:  []string{cfg.RegistryDomain},
	}); err != nil {
		t.Fatalf("policy: %v", err)
	}
}
