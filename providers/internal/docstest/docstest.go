// Package docstest reads the configuration and policy blocks of the
// providers' documentation pages, so that a test can build the provider
// entry a page shows and load the policy it shows exactly as written.
package docstest

import (
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// File reads the markdown file at path.
func File(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Section reads the markdown file at path and returns the part from the
// heading line (e.g. "## GitLab") to the next heading of level two.
func Section(t testing.TB, path, heading string) string {
	t.Helper()
	_, rest, ok := strings.Cut(File(t, path), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("%s: heading %q not found", path, heading)
	}
	section, _, _ := strings.Cut(rest, "\n## ")
	return "\n" + section
}

// YAMLBlock returns the first ```yaml block after heading in doc.
func YAMLBlock(t testing.TB, doc, heading string) string {
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

// ProviderEntry decodes the one entry of the `providers:` block after
// heading into cfg, strictly (unknown keys fail), without its id and type.
func ProviderEntry(t testing.TB, doc, heading string, cfg any) {
	t.Helper()
	var entry struct {
		Providers []yaml.Node `yaml:"providers"`
	}
	if err := yaml.Unmarshal([]byte(YAMLBlock(t, doc, heading)), &entry); err != nil {
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
	dec := yaml.NewDecoder(strings.NewReader(string(out)))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil {
		t.Fatalf("provider entry: %v", err)
	}
}
