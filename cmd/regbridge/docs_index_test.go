package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestTheDocsIndexLinksEveryPageOnce(t *testing.T) {
	raw, err := os.ReadFile("../../docs/README.md")
	if err != nil {
		t.Fatal(err)
	}
	index := string(raw)
	pages, _ := filepath.Glob("../../docs/*.md")
	for _, p := range pages {
		name := filepath.Base(p)
		if name == "README.md" {
			continue
		}
		if n := strings.Count(index, "- ["+name+"]("+name+"): "); n != 1 {
			t.Errorf("docs/README.md lists %s %d times, want once as `- [%s](%s): one line`", name, n, name, name)
		}
	}
}

// TestRelativeLinksInTheREADMEAndDocsPointAtFiles follows every relative
// Markdown link of the README and the docs pages.
func TestRelativeLinksInTheREADMEAndDocsPointAtFiles(t *testing.T) {
	files, _ := filepath.Glob("../../docs/*.md")
	files = append(files, "../../README.md")
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(string(raw), -1) {
			target, _, _ := strings.Cut(m[1], "#")
			if target == "" || strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(f), target)); err != nil {
				t.Errorf("%s links to %s, which does not exist", f, m[1])
			}
		}
	}
}
