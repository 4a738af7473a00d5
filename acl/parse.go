package acl

import (
	"regexp"
	"slices"
	"strings"

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

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
