package gitlab

import (
	"testing"

	"github.com/regbridge/regbridge/acl"
	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/internal/docstest"
)

func TestTheGitLabDocsProviderEntryBuildsAndItsPolicyPassesItsTests(t *testing.T) {
	doc := docstest.Section(t, "../../docs/forges.md", "## GitLab (gitlab.com and self-managed)")
	var cfg Config
	docstest.ProviderEntry(t, doc, "### Provider configuration", &cfg)
	p, err := New("gitlab", cfg, providers.Deps{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	pol, err := acl.Parse([]byte(docstest.YAMLBlock(t, doc, "### Policy")), "docs/forges.md", acl.Options{
		Providers: map[string]providers.PolicyFacts{"gitlab": p.PolicyFacts()},
		Services:  []string{"registry.example.com"},
	})
	if err != nil {
		t.Fatalf("policy: %v", err)
	}
	if pol.TestCount() == 0 {
		t.Fatal("the policy has no inline tests")
	}
	if fails := pol.RunTests(); len(fails) != 0 {
		t.Fatalf("inline tests fail: %v", fails)
	}
}
