package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regbridge/regbridge/acl"
	"github.com/regbridge/regbridge/providers"
)

func TestAConfigSyntaxErrorNamesTheBrokenLineAndColumnWithAFix(t *testing.T) {
	cases := []struct{ name, src, at, fix string }{
		{"a key indented less than its siblings in a service",
			"services:\n  - name: r\n    issuer: i\n   token_ttl: 5m\npolicy: policy.yaml\n", ":4:4:", "align it"},
		{"an unclosed quote",
			"services: [{name: r, issuer: i}]\npolicy: \"policy.yaml\nlisten: :5001\n", ":2:9:", "closing quote"},
		{"a tab in the indentation",
			"services:\n  - name: r\n\tissuer: i\npolicy: policy.yaml\n", ":3:1:", "spaces"},
		{"a key indented deeper than its siblings",
			"cache:\n  ttl: 60s\n    size: 10\npolicy: policy.yaml\n", ":3:", "indented deeper"},
	}
	dir := t.TempDir()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "config.yaml")
			os.WriteFile(path, []byte(tc.src), 0o600)
			_, err := loadConfig(path, nil)
			if err == nil {
				t.Fatal("the file loaded")
			}
			msg := err.Error()
			if !strings.Contains(msg, path+tc.at) || !strings.Contains(msg, tc.fix) || strings.Contains(msg, "yaml: line") {
				t.Errorf("error %q does not name %s%s with a fix saying %q", msg, filepath.Base(path), tc.at, tc.fix)
			}
		})
	}
}

func TestAPolicySyntaxErrorNamesTheBrokenLineAndColumn(t *testing.T) {
	src := "version: 1\nrules:\n  - id: a\n    who: anyone\n    grant:\n      - {repository: \"x/**\", actions: [pull]}\n   effect: allow\n"
	_, err := acl.Parse([]byte(src), "policy.yaml", acl.Options{Providers: map[string]providers.PolicyFacts{}})
	if err == nil {
		t.Fatal("the policy parsed")
	}
	if msg := err.Error(); !strings.Contains(msg, "policy.yaml:7:4: yaml:") || !strings.Contains(msg, "effect: allow") {
		t.Errorf("error %q does not name policy.yaml:7:4 and quote the line", msg)
	}
}
