package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTheREADMEInitStepsWriteAConfigurationThatPassesCheck runs the
// README's `regbridge init` and `check` lines as written, in a temporary
// directory, and makes sure the serve line names the same file.
func TestTheREADMEInitStepsWriteAConfigurationThatPassesCheck(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	steps := readmeBlock(t, string(raw), "### Your own configuration", "sh")
	dir := t.TempDir()
	var ran []string
	for _, line := range strings.Split(strings.TrimSpace(steps), "\n") {
		words := strings.Fields(line)
		if len(words) < 2 || words[0] != "regbridge" {
			t.Fatalf("README step %q is not a regbridge command; update this test", line)
		}
		// Paths under config/ go to the temporary directory.
		for i, w := range words {
			if w == "config" || strings.HasPrefix(w, "config/") {
				words[i] = filepath.Join(dir, w)
			}
		}
		ran = append(ran, words[1])
		if words[1] == "serve" {
			if !strings.Contains(line, "--config config/regbridge.yaml") {
				t.Errorf("the serve step %q does not serve what init wrote", line)
			}
			continue
		}
		out, err := run(t, words[1:]...)
		if err != nil {
			t.Fatalf("README step %q: %v\n%s", line, err, out)
		}
		if words[1] == "check" && !strings.HasPrefix(out, "ok: ") {
			t.Fatalf("README step %q: %s", line, out)
		}
	}
	if strings.Join(ran, " ") != "init check serve" {
		t.Fatalf("README steps ran %v, want init, check, serve", ran)
	}
}
