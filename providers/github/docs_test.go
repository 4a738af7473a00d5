package github

import (
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/regbridge/regbridge/acl"
	"github.com/regbridge/regbridge/providers"
)

// docSection returns the part of the markdown doc from heading to the next
// heading of the same level.
func docSection(t *testing.T, doc, heading string) string {
	t.Helper()
	_, rest, ok := strings.Cut(doc, "\n"+heading+"\n")
	if !ok {
		t.Fatalf("heading %q not found", heading)
	}
	section, _, _ := strings.Cut(rest, "\n## ")
	return "\n" + section
}

// yamlBlock returns the first ```yaml block after heading in the markdown doc.
func yamlBlock(t *testing.T, doc, heading string) string {
	t.Helper()
	_, rest, ok := strings.Cut(doc, "\n"+heading+"\n")
	if !ok {
		t.Fatalf("heading %q not found", heading)
	}
	_, rest, ok = strings.Cut(rest, "```yaml\n")
	if !ok {
		t.Fatalf("no yaml block after %q", heading)
	}
	block, _, _ := strings.Cut(rest, "```")
	return block
}

func TestTheDocsProviderConfigAndPolicyLoad(t *testing.T) {
	b, err := os.ReadFile("../../docs/forges.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := docSection(t, string(b), "## GitHub (github.com and GitHub Enterprise Server)")
	var entry struct {
		Providers []yaml.Node `yaml:"providers"`
	}
	if err := yaml.Unmarshal([]byte(yamlBlock(t, doc, "### Provider configuration")), &entry); err != nil {
		t.Fatal(err)
	}
	if len(entry.Providers) != 1 {
		t.Fatalf("want one provider entry, got %d", len(entry.Providers))
	}
	node := entry.Providers[0]
	var kept []*yaml.Node
	for i := 0; i+1 < len(node.Content); i += 2 {
		if k := node.Content[i].Value; k != "id" && k != "type" {
			kept = append(kept, node.Content[i], node.Content[i+1])
		}
	}
	node.Content = kept
	out, err := yaml.Marshal(&node)
	if err != nil {
		t.Fatal(err)
	}
	var cfg Config
	dec := yaml.NewDecoder(strings.NewReader(string(out)))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("provider entry: %v", err)
	}
	p, err := New("github", cfg, providers.Deps{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if _, err := acl.Parse([]byte(yamlBlock(t, doc, "### A policy that mirrors repository permissions")), "docs/forges.md", acl.Options{
		Providers: map[string]providers.PolicyFacts{"github": p.PolicyFacts()},
		Services:  []string{"registry.example.com"},
	}); err != nil {
		t.Fatalf("policy: %v", err)
	}
}
