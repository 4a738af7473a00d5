package acl

import (
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

var ruleKeys = []string{"id", "description", "effect", "who", "services", "when", "grant", "deny", "respond", "reason", "token_ttl", "allow_lint"}

// rule compiles one rule, in the order its problems are reported: id,
// allowed lints, effect, who, services, when, the grant or deny list,
// respond and reason, token_ttl.
func (pr *parser) rule(n *yaml.Node) *rule {
	keys := pr.mapping(n, "rule", ruleKeys...)
	if keys == nil {
		return nil
	}
	r := &rule{line: n.Line}
	if !pr.ruleID(r, n, keys["id"]) {
		return nil
	}
	if v, ok := keys["allow_lint"]; ok {
		pr.ruleAllowLint(r, v)
	}
	if v, ok := keys["description"]; ok {
		pr.str(v, "description")
	}
	if v, ok := keys["effect"]; ok {
		pr.ruleEffect(r, v)
	}
	pr.who(r, keys["who"], n.Line)
	if v, ok := keys["services"]; ok {
		pr.ruleServices(r, v)
	}
	if v, ok := keys["when"]; ok {
		r.when = pr.when(v, r, 0)
	}
	pr.ruleEntries(r, n, keys)
	pr.ruleRespond(r, n, keys)
	if v, ok := keys["token_ttl"]; ok {
		pr.ruleTTL(r, v)
	}
	return r
}

// ruleID sets the rule's id; false when it is missing or invalid, and the
// rule is then dropped.
func (pr *parser) ruleID(r *rule, n, v *yaml.Node) bool {
	if v == nil {
		pr.ps.add(n.Line, "missing-key", "add `id: some-name` to the rule", "rule has no id")
		return false
	}
	s, ok := pr.str(v, "id")
	if !ok {
		return false
	}
	if !ruleIDRE.MatchString(s) {
		pr.ps.add(v.Line, "invalid-value", "use letters, digits, '.', '_' and '-' (at most 128)", "rule id %q is not a valid id", s)
		return false
	}
	r.id = s
	return true
}

// ruleAllowLint reads the lints the rule silences.
func (pr *parser) ruleAllowLint(r *rule, v *yaml.Node) {
	l, ok := pr.strList(v, "allow_lint", false)
	if !ok {
		return
	}
	for _, code := range l {
		if !slices.Contains(lintCodes, code) {
			pr.ps.add(v.Line, "invalid-value", "allow only these lints: "+strings.Join(lintCodes, ", "), "rule %q: %q is not a lint that can be allowed", r.id, code)
		}
	}
	r.allowLint = l
}

// ruleEffect reads effect: allow or deny.
func (pr *parser) ruleEffect(r *rule, v *yaml.Node) {
	switch s, _ := pr.str(v, "effect"); s {
	case "allow":
	case "deny":
		r.deny = true
	default:
		pr.ps.add(v.Line, "invalid-value", "use effect: allow or effect: deny", "rule %q: unknown effect %q", r.id, s)
	}
}

// ruleServices reads the services the rule is limited to; they must be
// configured when the caller named the services.
func (pr *parser) ruleServices(r *rule, v *yaml.Node) {
	l, ok := pr.strList(v, "services", false)
	if !ok {
		return
	}
	r.services = l
	if r.services == nil {
		r.services = []string{}
	}
	for _, s := range l {
		if pr.opts.Services != nil && !slices.Contains(pr.opts.Services, s) {
			pr.ps.add(v.Line, "unknown-service", "use one of the configured services: "+strings.Join(pr.opts.Services, ", "), "rule %q names service %q, which is not configured", r.id, s)
		}
	}
}

// ruleEntries reads grant: of an allow rule or deny: of a deny rule; the
// other list is an error, and so is neither.
func (pr *parser) ruleEntries(r *rule, n *yaml.Node, keys map[string]*yaml.Node) {
	grant, hasGrant := keys["grant"]
	deny, hasDeny := keys["deny"]
	switch {
	case r.deny && hasGrant:
		pr.ps.add(grant.Line, "invalid-value", "list what a deny rule removes under `deny:`", "rule %q is a deny rule but has grant:", r.id)
	case !r.deny && hasDeny:
		pr.ps.add(deny.Line, "invalid-value", "add `effect: deny`, or rename deny: to grant:", "rule %q has deny: but is an allow rule", r.id)
	case r.deny && hasDeny:
		pr.entries(r, deny, "deny")
	case !r.deny && hasGrant:
		pr.entries(r, grant, "grant")
	default:
		want := "grant"
		if r.deny {
			want = "deny"
		}
		pr.ps.add(n.Line, "missing-key", "add a `"+want+":` list of {repository: PATTERN, actions: [...]}", "rule %q has no %s list", r.id, want)
	}
}

// ruleRespond reads respond: forbidden (deny rules only) and the reason it
// needs.
func (pr *parser) ruleRespond(r *rule, n *yaml.Node, keys map[string]*yaml.Node) {
	if v, ok := keys["respond"]; ok {
		s, _ := pr.str(v, "respond")
		switch {
		case !r.deny:
			pr.ps.add(v.Line, "invalid-value", "remove respond:, or make the rule `effect: deny`", "rule %q: respond is only for deny rules", r.id)
		case s != "forbidden":
			pr.ps.add(v.Line, "invalid-value", "use `respond: forbidden`", "rule %q: unknown respond %q", r.id, s)
		default:
			r.forbidden = true
		}
	}
	if v, ok := keys["reason"]; ok {
		r.reason, _ = pr.str(v, "reason")
		if !r.forbidden {
			pr.ps.add(v.Line, "invalid-value", "add `respond: forbidden` or remove reason:", "rule %q: reason is only used with respond: forbidden", r.id)
		}
	} else if r.forbidden {
		pr.ps.add(n.Line, "missing-key", "add `reason: ...`, the text clients see in the 403", "rule %q responds forbidden but gives no reason", r.id)
	}
}

// ruleTTL reads the token lifetime of an allow rule (at least 60 s).
func (pr *parser) ruleTTL(r *rule, v *yaml.Node) {
	s, _ := pr.str(v, "token_ttl")
	d, err := time.ParseDuration(s)
	switch {
	case r.deny:
		pr.ps.add(v.Line, "invalid-value", "move token_ttl to an allow rule", "rule %q: token_ttl has no meaning on a deny rule", r.id)
	case err != nil:
		pr.ps.add(v.Line, "invalid-value", "write a duration such as 5m or 900s", "rule %q: token_ttl %q is not a duration", r.id, s)
	case d < 60*time.Second:
		pr.ps.add(v.Line, "invalid-ttl", "use at least 60s (clients assume tokens live a minute)", "rule %q: token_ttl %s is below 60s", r.id, d)
	default:
		r.ttl = d
	}
}

func (pr *parser) who(r *rule, v *yaml.Node, line int) {
	if v == nil {
		pr.ps.add(line, "missing-key", "add `who: anyone`, `who: authenticated` or `who: [provider-id, ...]`", "rule %q has no who", r.id)
		return
	}
	if v.Kind == yaml.ScalarNode {
		switch v.Value {
		case "anyone":
			r.anyone = true
		case "authenticated":
			r.authed = true
		default:
			pr.ps.add(v.Line, "invalid-value", "write provider ids as a list: who: ["+v.Value+"]", "rule %q: who must be anyone, authenticated or a list of provider ids", r.id)
		}
		return
	}
	l, ok := pr.strList(v, "who", false)
	if !ok {
		return
	}
	for _, id := range l {
		if id == "anyone" || id == "authenticated" {
			pr.ps.add(v.Line, "invalid-value", "write who: "+id+" without brackets", "rule %q: %q inside a provider list is ambiguous", r.id, id)
			continue
		}
		if pr.opts.Providers != nil {
			if _, known := pr.opts.Providers[id]; !known {
				pr.ps.add(v.Line, "unknown-provider", "use a provider id from the config: "+strings.Join(sortedKeys(pr.opts.Providers), ", "), "rule %q names provider %q, which is not configured", r.id, id)
			}
		}
	}
	r.providers = l
	if r.providers == nil {
		r.providers = []string{}
	}
}

func (pr *parser) entries(r *rule, n *yaml.Node, what string) {
	if !pr.sequence(n, what) {
		return
	}
	for _, c := range n.Content {
		keys := pr.mapping(c, what+" item", "repository", "registry", "actions", "forge")
		if keys == nil {
			continue
		}
		e := &entry{rule: r, line: c.Line}
		repo, hasRepo := keys["repository"]
		reg, hasReg := keys["registry"]
		switch {
		case hasRepo && hasReg:
			pr.ps.add(c.Line, "invalid-value", "split it into two items", "rule %q: an item names both repository and registry", r.id)
			continue
		case hasReg:
			if s, _ := pr.str(reg, "registry"); s != "catalog" {
				pr.ps.add(reg.Line, "invalid-value", "write {registry: catalog, actions: [\"*\"]}", "rule %q: registry %q (only catalog exists)", r.id, s)
				continue
			}
			e.catalog = true
		case hasRepo:
			s, ok := pr.str(repo, "repository")
			if !ok {
				continue
			}
			pt, lints, err := compilePattern(s)
			if err != nil {
				pr.ps.add(repo.Line, "invalid-pattern", "see docs/policy.md#patterns", "rule %q: %v", r.id, err)
				continue
			}
			for _, m := range lints {
				pr.lint(r, repo.Line, "never-matches", "write segments in lower case with letters, digits and single separators", "rule %q: %s", r.id, m)
			}
			e.repo = pt
		default:
			pr.ps.add(c.Line, "missing-key", "add repository: PATTERN or registry: catalog", "rule %q: an item names no resource", r.id)
			continue
		}
		e.actions = pr.actions(r, e, keys["actions"], c.Line)
		if v, ok := keys["forge"]; ok {
			pr.forge(r, e, v)
		}
		if e.actions != 0 {
			r.entries = append(r.entries, e)
		}
	}
}

// actions parses an action list. Repository grants default to [pull]; the
// catalog takes exactly ["*"] (the registry checks for the literal "*").
func (pr *parser) actions(r *rule, e *entry, n *yaml.Node, line int) uint8 {
	if n == nil {
		if e.catalog {
			return bitAll
		}
		return bitPull
	}
	l, ok := pr.strList(n, "actions", false)
	if !ok {
		return 0
	}
	if len(l) == 0 {
		pr.ps.add(n.Line, "invalid-value", "list at least one action, or remove the item", "rule %q: empty actions", r.id)
		return 0
	}
	var bits uint8
	for _, a := range l {
		b, ok := actionBit(a)
		if !ok {
			pr.ps.add(n.Line, "invalid-value", "use pull, push, delete or \"*\"", "rule %q: unknown action %q", r.id, a)
			return 0
		}
		bits |= b
	}
	if e.catalog && bits != bitAll && !r.deny {
		pr.ps.add(n.Line, "invalid-value", "write actions: [\"*\"] (the registry requires the literal *)", "rule %q: the catalog can only be granted with \"*\"", r.id)
		return 0
	}
	return bits
}
