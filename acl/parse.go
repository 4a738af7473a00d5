package acl

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// The policy file is decoded from yaml.Node so that every problem carries a
// line number, and strictly: an unknown key is an error, never ignored.

var ruleIDRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}$`)

// parser holds the state of one parse.
type parser struct {
	ps   *problems
	opts Options
	// res shares compiled regexes between identical conditions (many rules
	// repeat the same glob); a *regexp.Regexp is safe for concurrent use.
	res map[string]*regexp.Regexp
}

// compile returns the compiled glob or regex, from the cache when possible.
func (pr *parser) compile(kind, src string) (*regexp.Regexp, error) {
	key := kind + "\x00" + src
	if re, ok := pr.res[key]; ok {
		return re, nil
	}
	var re *regexp.Regexp
	var err error
	if kind == "glob" {
		re, err = compileGlob(src)
	} else {
		re, err = compileRegex(src)
	}
	if err == nil {
		pr.res[key] = re
	}
	return re, err
}

func parseFile(data []byte, ps *problems, opts Options) *Policy {
	pr := &parser{ps: ps, opts: opts, res: map[string]*regexp.Regexp{}}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		ps.addSyntax(data, err)
		return &Policy{}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		ps.add(1, "missing-key", "start the file with `version: 1` and a `rules:` list", "policy file is empty")
		return &Policy{}
	}
	root := doc.Content[0]
	keys := pr.mapping(root, "policy file", "version", "rules", "tests")
	if keys == nil {
		return &Policy{}
	}
	p := &Policy{}
	if v, ok := keys["version"]; !ok {
		ps.add(root.Line, "missing-key", "add `version: 1` at the top", "policy file has no version")
	} else if v.Value != "1" || v.Kind != yaml.ScalarNode {
		ps.add(v.Line, "invalid-value", "set `version: 1`", "unsupported policy version %q", v.Value)
	}
	rn, ok := keys["rules"]
	if !ok {
		ps.add(root.Line, "missing-key", "add a `rules:` list", "policy file has no rules")
	} else if pr.sequence(rn, "rules") {
		seen := map[string]int{}
		for _, n := range rn.Content {
			r := pr.rule(n)
			if r == nil {
				continue
			}
			if first, dup := seen[r.id]; dup {
				ps.add(r.line, "duplicate-id", "give every rule its own id", "rule id %q is already used on line %d", r.id, first)
				continue
			}
			seen[r.id] = r.line
			p.rules = append(p.rules, r)
		}
	}
	lint(p.rules, pr)
	if tn, ok := keys["tests"]; ok && pr.sequence(tn, "tests") {
		p.tests = pr.tests(tn, p.rules)
	}
	return p
}

// mapping checks that n is a mapping with only the allowed keys and returns
// its values by key. It reports unknown and repeated keys.
func (pr *parser) mapping(n *yaml.Node, what string, allowed ...string) map[string]*yaml.Node {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		pr.ps.add(n.Line, "invalid-value", "write "+what+" as a mapping of key: value", "%s must be a mapping", what)
		return nil
	}
	out := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		if !(len(allowed) == 1 && allowed[0] == anyKey) && !slices.Contains(allowed, k.Value) {
			pr.ps.add(k.Line, "unknown-key", "use one of: "+strings.Join(allowed, ", "), "unknown key %q in %s", k.Value, what)
			continue
		}
		if _, dup := out[k.Value]; dup {
			pr.ps.add(k.Line, "duplicate-key", "keep one "+k.Value+" key", "key %q repeated in %s", k.Value, what)
			continue
		}
		out[k.Value] = v
	}
	return out
}

func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func (pr *parser) sequence(n *yaml.Node, what string) bool {
	if n.Kind != yaml.SequenceNode {
		pr.ps.add(n.Line, "invalid-value", "write "+what+" as a list (- item)", "%s must be a list", what)
		return false
	}
	return true
}

func (pr *parser) str(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		pr.ps.add(n.Line, "invalid-value", what+" takes a single string", "%s must be a string", what)
		return "", false
	}
	return n.Value, true
}

// strList accepts a list of strings (or a single string when single is true).
func (pr *parser) strList(n *yaml.Node, what string, single bool) ([]string, bool) {
	if single && n.Kind == yaml.ScalarNode {
		s, ok := pr.str(n, what)
		return []string{s}, ok
	}
	if !pr.sequence(n, what) {
		return nil, false
	}
	out := make([]string, 0, len(n.Content))
	ok := true
	for _, c := range n.Content {
		s, good := pr.str(deref(c), what+" item")
		ok = ok && good
		out = append(out, s)
	}
	return out, ok
}

var ruleKeys = []string{"id", "description", "effect", "who", "services", "when", "grant", "deny", "respond", "reason", "token_ttl", "allow_lint"}

func (pr *parser) rule(n *yaml.Node) *rule {
	keys := pr.mapping(n, "rule", ruleKeys...)
	if keys == nil {
		return nil
	}
	r := &rule{line: n.Line}
	if v, ok := keys["id"]; !ok {
		pr.ps.add(n.Line, "missing-key", "add `id: some-name` to the rule", "rule has no id")
		return nil
	} else if s, ok := pr.str(v, "id"); !ok {
		return nil
	} else if !ruleIDRE.MatchString(s) {
		pr.ps.add(v.Line, "invalid-value", "use letters, digits, '.', '_' and '-' (at most 128)", "rule id %q is not a valid id", s)
		return nil
	} else {
		r.id = s
	}
	if v, ok := keys["allow_lint"]; ok {
		if l, ok := pr.strList(v, "allow_lint", false); ok {
			for _, code := range l {
				if !slices.Contains(lintCodes, code) {
					pr.ps.add(v.Line, "invalid-value", "allow only these lints: "+strings.Join(lintCodes, ", "), "rule %q: %q is not a lint that can be allowed", r.id, code)
				}
			}
			r.allowLint = l
		}
	}
	if v, ok := keys["description"]; ok {
		pr.str(v, "description")
	}
	if v, ok := keys["effect"]; ok {
		switch s, _ := pr.str(v, "effect"); s {
		case "allow":
		case "deny":
			r.deny = true
		default:
			pr.ps.add(v.Line, "invalid-value", "use effect: allow or effect: deny", "rule %q: unknown effect %q", r.id, s)
		}
	}
	pr.who(r, keys["who"], n.Line)
	if v, ok := keys["services"]; ok {
		if l, ok := pr.strList(v, "services", false); ok {
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
	}
	if v, ok := keys["when"]; ok {
		r.when = pr.when(v, r, 0)
	}
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
	if v, ok := keys["token_ttl"]; ok {
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
	return r
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
		switch a {
		case ActionPull:
			bits |= bitPull
		case ActionPush:
			bits |= bitPush
		case ActionDelete:
			bits |= bitDelete
		case ActionAll:
			bits |= bitAll
		default:
			pr.ps.add(n.Line, "invalid-value", "use pull, push, delete or \"*\"", "rule %q: unknown action %q", r.id, a)
			return 0
		}
	}
	if e.catalog && bits != bitAll && !r.deny {
		pr.ps.add(n.Line, "invalid-value", "write actions: [\"*\"] (the registry requires the literal *)", "rule %q: the catalog can only be granted with \"*\"", r.id)
		return 0
	}
	return bits
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
