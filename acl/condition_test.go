package acl

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/regbridge/regbridge/providers"
)

// condPolicy builds an allow rule and a deny rule with the same condition so
// that one table checks both: a missing or mistyped claim fails the allow
// and satisfies the deny.
func condPolicy(t *testing.T, cond string) *Policy {
	t.Helper()
	return mustParse(t, `version: 1
rules:
  - id: allow
    who: [ci]
    when: `+cond+`
    grant: [{repository: "allow/x"}]
  - id: deny
    effect: deny
    who: [ci]
    when: `+cond+`
    deny: [{repository: "deny/x"}]
  - id: base
    who: [ci]
    grant: [{repository: "deny/x"}]
`)
}

func TestConditionOperators(t *testing.T) {
	tests := []struct {
		name  string
		cond  string
		claim any // value of claim "c"; missingClaim = absent
		want  bool
	}{
		{"exact string matches", `{claims: {c: main}}`, "main", true},
		{"exact string is case-sensitive", `{claims: {c: main}}`, "Main", false},
		{"a numeric string equals a number", `{claims: {c: "1234567"}}`, float64(1234567), true},
		{"a number equals a numeric string", `{claims: {c: 1234567}}`, "1234567", true},
		{"a json.Number equals a number", `{claims: {c: 1234567}}`, json.Number("1234567"), true},
		{"1234567.0 is the number 1234567", `{claims: {c: "1234567"}}`, 1234567.0, true},
		{"a leading zero string is another id", `{claims: {c: 1234567}}`, "01234567", false},
		{"true equals the boolean", `{claims: {c: true}}`, true, true},
		{"true equals the string true", `{claims: {c: true}}`, "true", true},
		{"TRUE is not true", `{claims: {c: true}}`, "TRUE", false},
		{"space-padded true is not true", `{claims: {c: true}}`, " true", false},
		{"1 is not true", `{claims: {c: true}}`, float64(1), false},
		{"an array is not a scalar", `{claims: {c: true}}`, []any{"true"}, false},
		{"an array is not coerced to any-match", `{claims: {c: prod}}`, []any{"prod"}, false},
		{"a missing claim fails", `{claims: {c: main}}`, missingClaim, false},
		{"a null claim is missing", `{claims: {c: main}}`, nil, false},
		{"in matches a member", `{claims: {c: {in: [push, workflow_dispatch]}}}`, "push", true},
		{"in refuses a non-member", `{claims: {c: {in: [push]}}}`, "pull_request_target", false},
		{"not_in matches a non-member", `{claims: {c: {not_in: [a, b]}}}`, "c", true},
		{"not_in refuses a member", `{claims: {c: {not_in: [a, b]}}}`, "a", false},
		{"glob star within a segment", `{claims: {c: {glob: "refs/tags/v*"}}}`, "refs/tags/v1.2.0", true},
		{"glob star does not cross a slash", `{claims: {c: {glob: "refs/heads/release-*"}}}`, "refs/heads/release-1/../main", false},
		{"glob star does not cross a colon", `{claims: {c: {glob: "repo:stellaops/*"}}}`, "repo:stellaops/a:ref:refs/heads/x", false},
		{"glob star does not cross a slash in sub", `{claims: {c: {glob: "repo:stellaops/*"}}}`, "repo:stellaops/a/b", false},
		{"glob question mark is one character", `{claims: {c: {glob: "v?"}}}`, "v1", true},
		{"glob dot is literal", `{claims: {c: {glob: "a.b"}}}`, "axb", false},
		{"regex is anchored", `{claims: {c: {regex: "refs/heads/main"}}}`, "refs/heads/main-evil", false},
		{"regex alternation stays anchored on the left", `{claims: {c: {regex: "refs/heads/main|refs/heads/develop"}}}`, "x/refs/heads/develop", false},
		{"regex alternation stays anchored on the right", `{claims: {c: {regex: "refs/heads/main|refs/heads/develop"}}}`, "refs/heads/main-evil", false},
		{"regex does not match a trailing newline", `{claims: {c: {regex: "refs/heads/main"}}}`, "refs/heads/main\n", false},
		{"regex matches", `{claims: {c: {regex: "refs/heads/(main|develop)"}}}`, "refs/heads/develop", true},
		{"regex on a huge claim is linear and false", `{claims: {c: {regex: "(a+)+b"}}}`, strings.Repeat("a", 100000), false},
		{"exists true on a present claim", `{claims: {c: {exists: true}}}`, "x", true},
		{"exists true on a missing claim", `{claims: {c: {exists: true}}}`, missingClaim, false},
		{"exists false on a missing claim", `{claims: {c: {exists: false}}}`, missingClaim, true},
		{"any_of on an array", `{claims: {c: {any_of: [admins, ops]}}}`, []any{"dev", "ops"}, true},
		{"any_of without a member", `{claims: {c: {any_of: [admins]}}}`, []any{"dev"}, false},
		{"any_of on a string is not an array", `{claims: {c: {any_of: [admins]}}}`, "admins", false},
		{"all_of needs every value", `{claims: {c: {all_of: [a, b]}}}`, []any{"a"}, false},
		{"all_of with every value", `{claims: {c: {all_of: [a, b]}}}`, []any{"b", "a", "c"}, true},
		{"all_of compares numbers canonically", `{claims: {c: {all_of: [1, "2"]}}}`, []any{"1", float64(2)}, true},
		{"several operators must all hold", `{claims: {c: {exists: true, not_in: [x]}}}`, "y", true},
		{"a claim name may contain a colon", `{claims: {"stellaops:plan": pro}}`, missingClaim, false},
		{"any_of block: one alternative holds", `{any_of: [{claims: {c: a}}, {claims: {c: b}}]}`, "b", true},
		{"any_of block: none holds", `{any_of: [{claims: {c: a}}, {claims: {c: b}}]}`, "z", false},
		{"all_of block: every part holds", `{all_of: [{claims: {c: {glob: "a*"}}}, {claims: {c: {glob: "*z"}}}]}`, "abz", true},
		{"all_of block: a part fails", `{all_of: [{claims: {c: {glob: "a*"}}}, {claims: {c: {glob: "*z"}}}]}`, "aby", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := condPolicy(t, tt.cond)
			id := providers.Identity{Provider: "ci", Claims: map[string]any{}}
			if tt.claim != missingClaim {
				id.Claims["c"] = tt.claim
			}
			d := p.Decide(id, "r", mustScopes(t, "repository:allow/x:pull", "repository:deny/x:pull"))
			got := strings.Contains(scopesString(d.Granted), "allow/x")
			if got != tt.want {
				t.Fatalf("allow rule matched=%v, want %v", got, tt.want)
			}
			denied := !strings.Contains(scopesString(d.Granted), "deny/x")
			// Missing or mistyped claims satisfy a deny condition (exists
			// looks at presence itself).
			absent := tt.claim == missingClaim || tt.claim == nil || !isScalarForOp(tt.claim, tt.cond)
			wantDenied := tt.want || absent && !strings.Contains(tt.cond, "exists")
			if denied != wantDenied {
				t.Fatalf("deny rule matched=%v, want %v", denied, wantDenied)
			}
		})
	}
}

// missingClaim marks a table row whose claim is absent.
var missingClaim = &struct{}{}

// isScalarForOp reports whether the claim has the type the operator compares.
func isScalarForOp(v any, cond string) bool {
	_, arr := claimList(v)
	if strings.Contains(cond, "any_of: [") && !strings.Contains(cond, "any_of: [{") || strings.Contains(cond, "all_of: [") && !strings.Contains(cond, "all_of: [{") {
		return arr
	}
	_, ok := canonClaim(v)
	return ok
}

func TestMissingClaimSatisfiesDenyAndFailsAllow(t *testing.T) {
	p := mustParse(t, `version: 1
rules:
  - id: allow-all
    who: [gitlab]
    grant: [{repository: "**"}]
  - id: no-contractors
    effect: deny
    who: [gitlab]
    when: {claims: {groups_direct: {any_of: [contractors]}}}
    deny: [{repository: "**", actions: ["*"]}]
`)
	// gitlab omits groups_direct for users in more than 200 groups.
	d := p.Decide(providers.Identity{Provider: "gitlab", Claims: map[string]any{"sub": "1"}}, "r", mustScopes(t, "repository:a:pull"))
	if len(d.Granted) != 0 {
		t.Fatalf("a token without groups_direct escaped the deny: %v", d.Granted)
	}
	d = p.Decide(providers.Identity{Provider: "gitlab", Claims: map[string]any{"groups_direct": []any{"staff"}}}, "r", mustScopes(t, "repository:a:pull"))
	if len(d.Granted) != 1 {
		t.Fatalf("a staff member was denied: %v", d.Rules)
	}
}

func TestIdentityFieldConditions(t *testing.T) {
	p := mustParse(t, `version: 1
rules:
  - id: by-subject
    who: authenticated
    when: {subject: {in: ["1001", "1002"]}}
    grant: [{repository: "s"}]
  - id: by-username
    who: authenticated
    when: {username: {glob: "bot-*"}}
    grant: [{repository: "u"}]
  - id: by-groups-all
    who: authenticated
    when: {groups: [a, b]}
    grant: [{repository: "ga"}]
  - id: by-groups-any
    who: authenticated
    when: {groups: {any_of: [a, b]}}
    grant: [{repository: "gy"}]
  - id: by-grants
    who: authenticated
    when: {grants: ["registry.example.com/REGISTRY:RW"]}
    grant: [{repository: "gr"}]
`)
	tests := []struct {
		name string
		id   providers.Identity
		want string
	}{
		{"subject in the list", providers.Identity{Provider: "p", Subject: "1001"}, "repository:s:pull"},
		{"username glob", providers.Identity{Provider: "p", Username: "bot-ci"}, "repository:u:pull"},
		{"username glob does not cross a slash", providers.Identity{Provider: "p", Username: "bot-a/b"}, "no access"},
		{"groups list needs every group", providers.Identity{Provider: "p", Groups: []string{"a"}}, "repository:gy:pull"},
		{"groups list with every group", providers.Identity{Provider: "p", Groups: []string{"b", "a"}}, "repository:ga:pull repository:gy:pull"},
		{"grants need an exact string", providers.Identity{Provider: "p", Grants: []string{"registry.example.com/REGISTRY:RO"}}, "no access"},
		{"grants present", providers.Identity{Provider: "p", Grants: []string{"registry.example.com/REGISTRY:RW"}}, "repository:gr:pull"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := p.Decide(tt.id, "r", mustScopes(t, "repository:s:pull", "repository:u:pull", "repository:ga:pull", "repository:gy:pull", "repository:gr:pull"))
			if got := scopesString(d.Granted); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}
