package acl

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/regbridge/regbridge/providers"
)

// inlineTest is one entry of the policy's tests: list.
type inlineTest struct {
	name      string
	line      int
	identity  providers.Identity
	service   string
	request   []Scope
	expect    []Scope
	forbidden string // "" none expected; "*" any rule; else a rule id
}

// TestFailure is an inline test whose expectation did not hold.
type TestFailure struct {
	Name    string `json:"name"`
	File    string `json:"file"`
	Line    int    `json:"line"`
	Message string `json:"message"`
}

func (pr *parser) tests(n *yaml.Node, rules []*rule) []*inlineTest {
	var out []*inlineTest
	seen := map[string]bool{}
	for _, c := range n.Content {
		keys := pr.mapping(c, "test", "name", "identity", "service", "request", "expect", "expect_forbidden")
		if keys == nil {
			continue
		}
		t := &inlineTest{line: c.Line, identity: providers.Identity{Anonymous: true}}
		if v, ok := keys["name"]; ok {
			t.name, _ = pr.str(v, "test name")
		}
		if t.name == "" {
			pr.ps.add(c.Line, "missing-key", "add `name: what the test shows`", "test has no name")
			continue
		}
		if seen[t.name] {
			pr.ps.add(c.Line, "duplicate-id", "give every test its own name", "test name %q is already used", t.name)
			continue
		}
		seen[t.name] = true
		good := true
		if v, ok := keys["identity"]; ok {
			good = pr.identity(v, t) && good
		}
		if v, ok := keys["service"]; ok {
			t.service, _ = pr.str(v, "service")
			if pr.opts.Services != nil && !slices.Contains(pr.opts.Services, t.service) {
				pr.ps.add(v.Line, "unknown-service", "use one of the configured services: "+strings.Join(pr.opts.Services, ", "), "test %q names service %q, which is not configured", t.name, t.service)
			}
		} else {
			t.service = "\x00default"
		}
		if v, ok := keys["request"]; !ok {
			pr.ps.add(c.Line, "missing-key", "add request: [\"repository:NAME:pull\"]", "test %q has no request", t.name)
			good = false
		} else {
			t.request, ok = pr.scopes(v, t.name, "request")
			good = good && ok
		}
		exp, hasExp := keys["expect"]
		forb, hasForb := keys["expect_forbidden"]
		switch {
		case hasExp && hasForb:
			pr.ps.add(c.Line, "invalid-value", "keep expect or expect_forbidden", "test %q has both expect and expect_forbidden", t.name)
			good = false
		case hasExp:
			var ok bool
			t.expect, ok = pr.scopes(exp, t.name, "expect")
			good = good && ok
		case hasForb:
			switch {
			case forb.ShortTag() == "!!bool" && forb.Value == "true":
				t.forbidden = "*"
			case forb.ShortTag() == "!!str" && forb.Value != "":
				t.forbidden = forb.Value
				if !slices.ContainsFunc(rules, func(r *rule) bool { return r.id == forb.Value && r.forbidden }) {
					pr.ps.add(forb.Line, "invalid-value", "name a deny rule with respond: forbidden", "test %q expects a 403 from %q, which is not a respond: forbidden rule", t.name, forb.Value)
					good = false
				}
			default:
				pr.ps.add(forb.Line, "invalid-value", "write expect_forbidden: true or the id of the deny rule", "test %q: bad expect_forbidden", t.name)
				good = false
			}
		default:
			pr.ps.add(c.Line, "missing-key", "add expect: [...] (use [] for no access) or expect_forbidden: true", "test %q has no expectation", t.name)
			good = false
		}
		if good {
			out = append(out, t)
		}
	}
	return out
}

func (pr *parser) scopes(n *yaml.Node, test, what string) ([]Scope, bool) {
	l, ok := pr.strList(n, what, false)
	if !ok {
		return nil, false
	}
	var out []Scope
	for _, s := range l {
		sc, err := ParseScope(s)
		if err != nil {
			pr.ps.add(n.Line, "invalid-value", "write scopes as repository:NAME:ACTIONS or registry:catalog:*", "test %q: %v", test, err)
			return nil, false
		}
		out = mergeScope(out, sc)
	}
	return out, true
}

func (pr *parser) identity(n *yaml.Node, t *inlineTest) bool {
	keys := pr.mapping(n, "identity", "provider", "anonymous", "subject", "username", "groups", "grants", "claims", "max_actions", "repositories")
	if keys == nil {
		return false
	}
	id := providers.Identity{}
	good := true
	if v, ok := keys["provider"]; ok {
		id.Provider, _ = pr.str(v, "provider")
		if pr.opts.Providers != nil {
			if _, known := pr.opts.Providers[id.Provider]; !known {
				pr.ps.add(v.Line, "unknown-provider", "use a provider id from the config", "test %q: provider %q is not configured", t.name, id.Provider)
				good = false
			}
		}
	}
	if v, ok := keys["anonymous"]; ok {
		id.Anonymous = v.Value == "true"
		if id.Anonymous && id.Provider != "" {
			pr.ps.add(v.Line, "invalid-value", "drop anonymous: true or the provider", "test %q: an anonymous identity has no provider", t.name)
			good = false
		}
	}
	if id.Provider == "" {
		id.Anonymous = true
	}
	if v, ok := keys["subject"]; ok {
		id.Subject, _ = pr.str(v, "subject")
	}
	if v, ok := keys["username"]; ok {
		id.Username, _ = pr.str(v, "username")
	}
	if v, ok := keys["groups"]; ok {
		id.Groups, _ = pr.strList(v, "groups", false)
	}
	if v, ok := keys["grants"]; ok {
		id.Grants, _ = pr.strList(v, "grants", false)
	}
	if v, ok := keys["max_actions"]; ok {
		id.MaxActions, _ = pr.strList(v, "max_actions", false)
		if id.MaxActions == nil {
			id.MaxActions = []string{}
		}
	}
	if v, ok := keys["repositories"]; ok {
		id.Repositories = pr.repositories(v, t.name)
		good = good && id.Repositories != nil
	}
	if v, ok := keys["claims"]; ok {
		if v.Kind != yaml.MappingNode {
			pr.ps.add(v.Line, "invalid-value", "write claims as a mapping", "test %q: claims must be a mapping", t.name)
			return false
		}
		c, ok := nodeToClaim(v)
		if !ok {
			pr.ps.add(v.Line, "invalid-value", "use JSON-like values", "test %q: claims hold a value JSON cannot carry", t.name)
			return false
		}
		id.Claims = c.(map[string]any)
	}
	t.identity = id
	return good
}

// RunTests runs the inline tests (Load runs them too; a failing test refuses
// the policy) and returns every failure.
func (p *Policy) RunTests() []TestFailure {
	var out []TestFailure
	for _, t := range p.tests {
		svc := t.service
		if svc == "\x00default" {
			svc = p.defaultService
		}
		d := p.Decide(t.identity, svc, t.request)
		fail := func(format string, args ...any) {
			out = append(out, TestFailure{Name: t.name, File: p.source, Line: t.line, Message: fmt.Sprintf(format, args...)})
		}
		switch {
		case t.forbidden != "":
			switch {
			case d.Forbidden == nil:
				fail("want 403 forbidden, got %s", scopesString(d.Granted))
			case t.forbidden != "*" && d.Forbidden.Rule != t.forbidden:
				fail("want 403 from rule %q, got 403 from rule %q", t.forbidden, d.Forbidden.Rule)
			}
		case d.Forbidden != nil:
			fail("want %s, got 403 forbidden by rule %q (%s)", scopesString(t.expect), d.Forbidden.Rule, d.Forbidden.Reason)
		case !sameScopes(d.Granted, t.expect):
			fail("want %s, got %s", scopesString(t.expect), scopesString(d.Granted))
		}
	}
	return out
}

func sameScopes(a, b []Scope) bool {
	key := func(l []Scope) []string {
		out := make([]string, len(l))
		for i, s := range l {
			out[i] = s.String()
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(key(a), key(b))
}

func scopesString(l []Scope) string {
	if len(l) == 0 {
		return "no access"
	}
	s := make([]string, len(l))
	for i, sc := range l {
		s[i] = sc.String()
	}
	return strings.Join(s, " ")
}
