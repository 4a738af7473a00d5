package acl

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// maxWhenDepth bounds nested any_of/all_of blocks.
const maxWhenDepth = 8

var whenKeys = []string{"claims", "grants", "groups", "subject", "username", "any_of", "all_of"}

var opKeys = []string{"equals", "in", "not_in", "glob", "regex", "exists", "any_of", "all_of"}

func (pr *parser) when(n *yaml.Node, r *rule, depth int) *cond {
	if depth > maxWhenDepth {
		pr.ps.add(n.Line, "invalid-value", "flatten the conditions", "rule %q: any_of/all_of nested deeper than %d", r.id, maxWhenDepth)
		return nil
	}
	keys := pr.mapping(n, "when", whenKeys...)
	if keys == nil {
		return nil
	}
	c := &cond{line: n.Line}
	if v, ok := keys["claims"]; ok {
		if m := pr.mapping(v, "claims", anyKey); m != nil {
			v = deref(v)
			for i := 0; i+1 < len(v.Content); i += 2 {
				k := v.Content[i]
				if k.Value == "" {
					pr.ps.add(k.Line, "invalid-value", "name the claim", "rule %q: empty claim name", r.id)
					continue
				}
				if f := pr.field(deref(v.Content[i+1]), r, "claim", k.Value); f != nil {
					c.fields = append(c.fields, f)
				}
			}
		}
	}
	for _, name := range []string{"subject", "username"} {
		if v, ok := keys[name]; ok {
			if f := pr.field(v, r, name, ""); f != nil {
				c.fields = append(c.fields, f)
			}
		}
	}
	for _, name := range []string{"groups", "grants"} {
		if v, ok := keys[name]; ok {
			if s := pr.set(v, r, name); s != nil {
				c.sets = append(c.sets, s)
			}
		}
	}
	for _, name := range []string{"any_of", "all_of"} {
		v, ok := keys[name]
		if !ok || !pr.sequence(v, "when."+name) {
			continue
		}
		if len(v.Content) == 0 {
			pr.lint(r, v.Line, "never-matches", "list at least one alternative", "rule %q: empty when.%s", r.id, name)
		}
		for _, sub := range v.Content {
			if sc := pr.when(deref(sub), r, depth+1); sc != nil {
				if name == "any_of" {
					c.anyOf = append(c.anyOf, sc)
				} else {
					c.allOf = append(c.allOf, sc)
				}
			}
		}
	}
	return c
}

// anyKey marks a mapping whose keys are free (claim names).
const anyKey = "\x00any"

func (pr *parser) field(n *yaml.Node, r *rule, kind, name string) *field {
	f := &field{kind: kind, name: name, line: n.Line}
	what := f.label()
	switch n.Kind {
	case yaml.ScalarNode:
		s, ok := canonNode(n)
		if !ok {
			pr.ps.add(n.Line, "invalid-value", "compare with a string, number or boolean", "rule %q: %s: %q is not a comparable value", r.id, what, n.Value)
			return nil
		}
		f.ops = []op{{kind: opEquals, values: []string{s}}}
		return f
	case yaml.SequenceNode:
		pr.ps.add(n.Line, "invalid-value", "write {in: [...]} for one of several values, or {any_of: [...]}/{all_of: [...]} for an array claim",
			"rule %q: %s: a bare list is ambiguous", r.id, what)
		return nil
	}
	keys := pr.mapping(n, what, opKeys...)
	if keys == nil {
		return nil
	}
	if len(keys) == 0 {
		pr.ps.add(n.Line, "invalid-value", "add an operator: "+strings.Join(opKeys, ", "), "rule %q: %s has no operator", r.id, what)
		return nil
	}
	for _, k := range opKeys {
		if v, ok := keys[k]; ok {
			if o, ok := pr.fieldOp(r, what, k, v, len(keys)); ok {
				f.ops = append(f.ops, o)
			}
		}
	}
	if len(f.ops) == 0 {
		return nil
	}
	return f
}

// fieldOp compiles operator k of the field what, whose operators number
// nOps; false when v is invalid (the problem is reported).
func (pr *parser) fieldOp(r *rule, what, k string, v *yaml.Node, nOps int) (op, bool) {
	switch k {
	case "equals":
		s, ok := canonNode(v)
		if !ok {
			pr.ps.add(v.Line, "invalid-value", "compare with a string, number or boolean", "rule %q: %s: equals needs a single value", r.id, what)
			return op{}, false
		}
		return op{kind: opEquals, values: []string{s}}, true
	case "in", "not_in", "any_of", "all_of":
		return pr.listOp(r, what, k, v)
	case "glob":
		return pr.globOp(r, what, v)
	case "regex":
		return pr.regexOp(r, what, v)
	case "exists":
		return pr.existsOp(r, what, v, nOps)
	}
	return op{}, false
}

// listOp compiles in, not_in, any_of or all_of.
func (pr *parser) listOp(r *rule, what, k string, v *yaml.Node) (op, bool) {
	kind := map[string]opKind{"in": opIn, "not_in": opNotIn, "any_of": opAnyOf, "all_of": opAllOf}[k]
	vals, ok := pr.values(v, r, what+"."+k)
	if !ok {
		return op{}, false
	}
	if len(vals) == 0 && (kind == opIn || kind == opAnyOf) {
		pr.lint(r, v.Line, "never-matches", "list at least one value", "rule %q: %s: empty %s never holds", r.id, what, k)
	}
	return op{kind: kind, values: vals}, true
}

// globOp compiles a glob (* within a segment, ** across segments).
func (pr *parser) globOp(r *rule, what string, v *yaml.Node) (op, bool) {
	s, ok := pr.str(v, what+".glob")
	if !ok {
		return op{}, false
	}
	re, err := pr.compile("glob", s)
	if err != nil {
		pr.ps.add(v.Line, "invalid-value", "* matches within a segment, ** a whole segment", "rule %q: %s: %v", r.id, what, err)
		return op{}, false
	}
	return op{kind: opGlob, re: re, src: s}, true
}

// regexOp compiles an anchored RE2 regex, linting one that matches "".
func (pr *parser) regexOp(r *rule, what string, v *yaml.Node) (op, bool) {
	s, ok := pr.str(v, what+".regex")
	if !ok {
		return op{}, false
	}
	re, err := pr.compile("regex", s)
	if err != nil {
		pr.ps.add(v.Line, "invalid-regex", "write an RE2 regex of at most 256 bytes; it is anchored for you", "rule %q: %s: %v", r.id, what, err)
		return op{}, false
	}
	if re.MatchString("") {
		pr.lint(r, v.Line, "regex-empty", "make the regex require at least one character (use + instead of *)", "rule %q: %s: regex %q matches the empty string", r.id, what, s)
	}
	return op{kind: opRegex, re: re, src: s}, true
}

// existsOp compiles exists: true|false; exists: false beside another
// operator never holds in an allow rule.
func (pr *parser) existsOp(r *rule, what string, v *yaml.Node, nOps int) (op, bool) {
	var b bool
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!bool" || v.Decode(&b) != nil {
		pr.ps.add(v.Line, "invalid-value", "write exists: true or exists: false", "rule %q: %s: exists takes a boolean", r.id, what)
		return op{}, false
	}
	if !b && nOps > 1 && !r.deny {
		pr.lint(r, v.Line, "never-matches", "drop exists: false or the other operators", "rule %q: %s: exists: false with another operator never holds in an allow rule", r.id, what)
	}
	return op{kind: opExists, exists: b}, true
}

func (pr *parser) values(n *yaml.Node, r *rule, what string) ([]string, bool) {
	if !pr.sequence(n, what) {
		return nil, false
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		s, ok := canonNode(deref(c))
		if !ok {
			pr.ps.add(c.Line, "invalid-value", "list strings, numbers or booleans", "rule %q: %s: %q is not a comparable value", r.id, what, c.Value)
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// set parses a groups/grants condition: a list (all must be present) or
// {any_of: [...]} / {all_of: [...]}.
func (pr *parser) set(n *yaml.Node, r *rule, kind string) *setCond {
	s := &setCond{kind: kind, line: n.Line, all: true}
	if n.Kind == yaml.SequenceNode {
		l, ok := pr.strList(n, kind, false)
		if !ok {
			return nil
		}
		s.items = l
		return s
	}
	keys := pr.mapping(n, kind, "any_of", "all_of")
	if keys == nil {
		return nil
	}
	if len(keys) != 1 {
		pr.ps.add(n.Line, "invalid-value", "use exactly one of any_of or all_of", "rule %q: %s needs one of any_of, all_of", r.id, kind)
		return nil
	}
	for k, v := range keys {
		l, ok := pr.strList(v, kind+"."+k, false)
		if !ok {
			return nil
		}
		s.all = k == "all_of"
		s.items = l
		if !s.all && len(l) == 0 {
			pr.lint(r, v.Line, "never-matches", "list at least one value", "rule %q: empty %s.any_of never holds", r.id, kind)
		}
	}
	return s
}
