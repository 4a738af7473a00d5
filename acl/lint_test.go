package acl

import (
	"errors"
	"strings"
	"testing"
)

func loadProblems(t *testing.T, src string, opts Options) []Problem {
	t.Helper()
	_, err := Parse([]byte(src), "p.yaml", opts)
	if err == nil {
		return nil
	}
	var le *LoadError
	if !errors.As(err, &le) {
		t.Fatalf("error %v is not a *LoadError", err)
	}
	return le.Problems
}

func TestLintsAndErrors(t *testing.T) {
	head := "version: 1\nrules:\n"
	tests := []struct {
		name  string
		rules string
		code  string // "" = loads cleanly
		line  int
	}{
		{"an unknown rule key is an error", "  - id: a\n    who: anyone\n    grnat: [{repository: x}]\n", "unknown-key", 3},
		{"an unknown grant key is an error", "  - id: a\n    who: anyone\n    grant: [{repository: x, action: [push]}]\n", "unknown-key", 3},
		{"an unknown operator is an error", "  - id: a\n    who: [users]\n    when: {claims: {c: {regexp: x}}}\n    grant: [{repository: x}]\n", "unknown-key", 3},
		{"a duplicate id is an error", "  - id: a\n    who: anyone\n    grant: [{repository: x}]\n  - id: a\n    who: anyone\n    grant: [{repository: y}]\n", "duplicate-id", 4},
		{"an unknown provider is an error", "  - id: a\n    who: [gitub]\n    grant: [{repository: x}]\n", "unknown-provider", 2},
		{"an unknown service is an error", "  - id: a\n    who: anyone\n    services: [other]\n    grant: [{repository: x}]\n", "unknown-service", 3},
		{"a placeholder for a claim the provider cannot supply", "  - id: a\n    who: [users]\n    grant: [{repository: \"x/${claims.email}\"}]\n", "unknown-claim", 3},
		{"a deny condition on a claim a provider lacks", "  - id: a\n    effect: deny\n    who: authenticated\n    when: {claims: {\"stellaops:license\": {in: [L1]}}}\n    deny: [{repository: x}]\n", "unknown-claim", 4},
		{"a regex that matches the empty string", "  - id: a\n    who: [users]\n    when: {username: {regex: \"a*\"}}\n    grant: [{repository: x}]\n", "regex-empty", 3},
		{"a shared issuer without a tenant pin", "  - id: a\n    who: [github]\n    grant: [{repository: x}]\n", "shared-issuer-unpinned", 1},
		{"a shared issuer pinned by a glob is not pinned", "  - id: a\n    who: [github]\n    when: {claims: {repository_owner_id: {glob: \"12*\"}}}\n    grant: [{repository: x}]\n", "shared-issuer-unpinned", 1},
		{"authenticated covers a shared issuer", "  - id: a\n    who: authenticated\n    grant: [{repository: x}]\n", "shared-issuer-unpinned", 1},
		{"a pinned shared issuer is fine", "  - id: a\n    who: [github]\n    when: {claims: {repository_owner_id: \"1\"}}\n    grant: [{repository: x}]\n", "", 0},
		{"a CI push without a trigger condition", "  - id: a\n    who: [github]\n    when: {claims: {repository_owner_id: \"1\"}}\n    grant: [{repository: x, actions: [push]}]\n", "ci-push-untriggered", 1},
		{"a CI push with a trigger condition is fine", "  - id: a\n    who: [github]\n    when: {claims: {repository_owner_id: \"1\", event_name: push}}\n    grant: [{repository: x, actions: [push]}]\n", "", 0},
		{"push on everything to anyone", "  - id: a\n    who: anyone\n    grant: [{repository: \"**\", actions: [pull, push]}]\n", "anyone-push", 3},
		{"push on a star prefix to anyone", "  - id: a\n    who: anyone\n    grant: [{repository: \"*/**\", actions: [\"*\"]}]\n", "anyone-push", 3},
		{"an uppercase literal never matches", "  - id: a\n    who: anyone\n    grant: [{repository: \"Public/**\"}]\n", "never-matches", 3},
		{"an empty in never matches", "  - id: a\n    who: [users]\n    when: {username: {in: []}}\n    grant: [{repository: x}]\n", "never-matches", 3},
		{"who: [] never matches", "  - id: a\n    who: []\n    grant: [{repository: x}]\n", "never-matches", 1},
		{"a bare list condition is ambiguous", "  - id: a\n    who: [users]\n    when: {claims: {c: [a, b]}}\n    grant: [{repository: x}]\n", "invalid-value", 3},
		{"a ttl below 60s is an error", "  - id: a\n    who: anyone\n    grant: [{repository: x}]\n    token_ttl: 30s\n", "invalid-ttl", 4},
		{"an invalid regex is an error", "  - id: a\n    who: [users]\n    when: {username: {regex: \"(\"}}\n    grant: [{repository: x}]\n", "invalid-regex", 3},
		{"an invalid pattern is an error", "  - id: a\n    who: anyone\n    grant: [{repository: \"a/**/b\"}]\n", "invalid-pattern", 3},
		{"forbidden needs a reason", "  - id: a\n    effect: deny\n    who: anyone\n    deny: [{repository: x}]\n    respond: forbidden\n", "missing-key", 1},
		{"the catalog only takes star", "  - id: a\n    who: anyone\n    grant: [{registry: catalog, actions: [pull]}]\n", "invalid-value", 3},
		{"an allow rule cannot carry deny items", "  - id: a\n    who: anyone\n    deny: [{repository: x}]\n", "invalid-value", 3},
		{"allow_lint cannot silence an unknown key", "  - id: a\n    who: anyone\n    allow_lint: [unknown-key]\n    grant: [{repository: x}]\n", "invalid-value", 3},
		{"allow_lint silences a lint", "  - id: a\n    who: anyone\n    allow_lint: [anyone-push]\n    grant: [{repository: \"**\", actions: [push]}]\n", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			probs := loadProblems(t, head+tt.rules, exampleOptions())
			if tt.code == "" {
				if len(probs) != 0 {
					t.Fatalf("unexpected problems: %v", probs)
				}
				return
			}
			for _, p := range probs {
				if p.Code == tt.code {
					if p.Line != tt.line+2 {
						t.Errorf("line %d, want %d: %v", p.Line, tt.line+2, p)
					}
					if p.Fix == "" || p.File != "p.yaml" {
						t.Errorf("problem without a fix or file: %+v", p)
					}
					return
				}
			}
			t.Fatalf("no %s problem in %v", tt.code, probs)
		})
	}
}

func TestLoadReportsEveryProblemAtOnce(t *testing.T) {
	probs := loadProblems(t, `version: 2
rules:
  - id: a
    who: [nope]
    grant: [{repository: "A/**"}]
    extra: 1
  - who: anyone
  - id: b
    who: anyone
    grant: [{repository: "**", actions: [push]}]
`, exampleOptions())
	var codes []string
	for _, p := range probs {
		codes = append(codes, p.Code)
	}
	want := "invalid-value unknown-provider never-matches unknown-key missing-key anyone-push"
	if strings.Join(codes, " ") != want {
		t.Fatalf("codes %v, want %s\n%v", codes, want, (&LoadError{probs}).Error())
	}
}

func TestLoadErrorRendersOneProblemPerLine(t *testing.T) {
	err := &LoadError{Problems: []Problem{{File: "p.yaml", Line: 3, Code: "unknown-key", Message: "unknown key \"x\"", Fix: "remove it"}, {File: "p.yaml", Line: 9, Code: "c", Message: "m"}}}
	want := "p.yaml:3: unknown-key: unknown key \"x\" (fix: remove it)\np.yaml:9: c: m"
	if err.Error() != want {
		t.Fatalf("got %q", err.Error())
	}
}

func TestAFailingInlineTestRefusesThePolicy(t *testing.T) {
	probs := loadProblems(t, `version: 1
rules:
  - id: a
    who: anyone
    grant: [{repository: "public/**"}]
tests:
  - name: push is refused
    request: ["repository:public/x:push"]
    expect: []
  - name: wrongly expects push
    request: ["repository:public/x:pull,push"]
    expect: ["repository:public/x:pull,push"]
  - name: wrongly expects a 403
    request: ["repository:public/x:pull"]
    expect_forbidden: true
`, Options{})
	if len(probs) != 2 || probs[0].Code != "test-failed" || probs[0].Line != 10 || probs[1].Line != 13 {
		t.Fatalf("problems %v", probs)
	}
}

func TestMissingFileIsAnError(t *testing.T) {
	if _, err := Load("/nonexistent/policy.yaml", Options{}); err == nil {
		t.Fatal("a missing policy file loaded")
	}
}

func TestEmptyAndMalformedFilesAreRefused(t *testing.T) {
	for name, src := range map[string]string{
		"empty":        "",
		"not a map":    "- a\n- b\n",
		"bad yaml":     "version: 1\nrules: [\n",
		"no rules":     "version: 1\n",
		"rules scalar": "version: 1\nrules: x\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse([]byte(src), "p.yaml", Options{}); err == nil {
				t.Fatal("loaded")
			}
		})
	}
}
