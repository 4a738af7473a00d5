package acl

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/regbridge/regbridge/providers"
)

// Conditions (the `when:` block). Every condition in a block must hold.
// A claim that is missing (or has a type the operator cannot compare) fails
// a condition of an allow rule and satisfies a condition of a deny rule:
// absent data never widens access. `exists` is the one operator that looks
// at presence itself.

// opKind is a comparison operator.
type opKind int

const (
	opEquals opKind = iota
	opIn
	opNotIn
	opGlob
	opRegex
	opExists
	opAnyOf
	opAllOf
)

var opNames = map[opKind]string{
	opEquals: "equals", opIn: "in", opNotIn: "not_in", opGlob: "glob", opRegex: "regex",
	opExists: "exists", opAnyOf: "any_of", opAllOf: "all_of",
}

// op is one compiled operator.
type op struct {
	kind   opKind
	values []string // canonical strings (equals, in, not_in, any_of, all_of)
	re     *regexp.Regexp
	src    string // the glob or regex as written
	exists bool
}

// field is what a condition looks at.
type field struct {
	// kind is "claim", "subject" or "username".
	kind string
	name string // claim name
	line int
	ops  []op
}

// label names the field in explanations.
func (f *field) label() string {
	if f.kind == "claim" {
		return "claims." + f.name
	}
	return f.kind
}

// setCond is a condition on a set of strings (groups, grants).
type setCond struct {
	kind  string // "groups" or "grants"
	line  int
	all   bool // all_of (true) or any_of (false)
	items []string
}

// cond is a compiled `when:` block.
type cond struct {
	line   int
	fields []*field
	sets   []*setCond
	anyOf  []*cond
	allOf  []*cond
}

// eval evaluates the block. When why is non-nil, it receives a reason for
// every failed condition.
func (c *cond) eval(id *providers.Identity, deny bool, why *[]string) bool {
	ok := true
	for _, f := range c.fields {
		if !f.eval(id, deny, why) {
			ok = false
			if why == nil {
				return false
			}
		}
	}
	for _, s := range c.sets {
		if !s.eval(id, why) {
			ok = false
			if why == nil {
				return false
			}
		}
	}
	for _, sub := range c.allOf {
		if !sub.eval(id, deny, why) {
			ok = false
			if why == nil {
				return false
			}
		}
	}
	if len(c.anyOf) > 0 {
		var reasons []string
		var rp *[]string
		if why != nil {
			rp = &reasons
		}
		any := false
		for _, sub := range c.anyOf {
			if sub.eval(id, deny, rp) {
				any = true
				break
			}
		}
		if !any {
			ok = false
			if why != nil {
				*why = append(*why, "any_of: no alternative holds ("+strings.Join(reasons, "; ")+")")
			}
		}
	}
	return ok
}

func (f *field) lookup(id *providers.Identity) (any, bool) {
	switch f.kind {
	case "subject":
		return id.Subject, id.Subject != ""
	case "username":
		return id.Username, id.Username != ""
	}
	v, ok := id.Claims[f.name]
	if ok && v == nil {
		return nil, false
	}
	return v, ok
}

func (f *field) eval(id *providers.Identity, deny bool, why *[]string) bool {
	v, present := f.lookup(id)
	for i := range f.ops {
		o := &f.ops[i]
		ok, reason := o.eval(v, present, deny)
		if !ok {
			if why != nil {
				*why = append(*why, f.label()+": "+reason)
			}
			return false
		}
	}
	return true
}

// eval applies the operator. Missing or mistyped values satisfy deny rules.
func (o *op) eval(v any, present, deny bool) (bool, string) {
	if o.kind == opExists {
		if present == o.exists {
			return true, ""
		}
		if present {
			return false, "is present (want exists: false)"
		}
		return false, "is missing (want exists: true)"
	}
	if !present {
		return deny, "is missing"
	}
	switch o.kind {
	case opAnyOf, opAllOf:
		list, ok := claimList(v)
		if !ok {
			return deny, fmt.Sprintf("is not an array (%s needs one)", opNames[o.kind])
		}
		if o.kind == opAnyOf {
			for _, w := range o.values {
				if slices.Contains(list, w) {
					return true, ""
				}
			}
			return false, fmt.Sprintf("%s has none of %s", quoteList(list), quoteList(o.values))
		}
		for _, w := range o.values {
			if !slices.Contains(list, w) {
				return false, fmt.Sprintf("%s lacks %q (all_of)", quoteList(list), w)
			}
		}
		return true, ""
	}
	s, ok := canonClaim(v)
	if !ok {
		return deny, fmt.Sprintf("is not a single value (%s compares scalars; use any_of/all_of for arrays)", opNames[o.kind])
	}
	switch o.kind {
	case opEquals:
		if s == o.values[0] {
			return true, ""
		}
		return false, fmt.Sprintf("%q is not %q", s, o.values[0])
	case opIn:
		if slices.Contains(o.values, s) {
			return true, ""
		}
		return false, fmt.Sprintf("%q is not in %s", s, quoteList(o.values))
	case opNotIn:
		if !slices.Contains(o.values, s) {
			return true, ""
		}
		return false, fmt.Sprintf("%q is in %s (not_in)", s, quoteList(o.values))
	case opGlob, opRegex:
		if o.re.MatchString(s) {
			return true, ""
		}
		return false, fmt.Sprintf("%q does not match %s %q", s, opNames[o.kind], o.src)
	}
	return false, "unknown operator"
}

func (s *setCond) eval(id *providers.Identity, why *[]string) bool {
	have := id.Groups
	if s.kind == "grants" {
		have = id.Grants
	}
	if s.all {
		for _, w := range s.items {
			if !slices.Contains(have, w) {
				if why != nil {
					*why = append(*why, fmt.Sprintf("%s: %q is missing (have %s)", s.kind, w, quoteList(have)))
				}
				return false
			}
		}
		return true
	}
	for _, w := range s.items {
		if slices.Contains(have, w) {
			return true
		}
	}
	if why != nil {
		*why = append(*why, fmt.Sprintf("%s: none of %s (have %s)", s.kind, quoteList(s.items), quoteList(have)))
	}
	return false
}

func quoteList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// maxRegexLen caps a regex written in a policy.
const maxRegexLen = 256

// compileRegex anchors a policy regex as ^(?:re)$ so alternation cannot
// escape the anchors.
func compileRegex(src string) (*regexp.Regexp, error) {
	if len(src) > maxRegexLen {
		return nil, fmt.Errorf("regex is longer than %d bytes", maxRegexLen)
	}
	return regexp.Compile(`^(?:` + src + `)$`)
}

// compileGlob turns a glob into an anchored regex: "*" is any run of
// characters except "/" and ":", "?" one such character, and "**" as a whole
// "/"-separated segment any run of characters except ":".
func compileGlob(src string) (*regexp.Regexp, error) {
	if len(src) > maxRegexLen {
		return nil, fmt.Errorf("glob is longer than %d bytes", maxRegexLen)
	}
	var b strings.Builder
	b.WriteString("^")
	segs := strings.Split(src, "/")
	for i, seg := range segs {
		if i > 0 {
			b.WriteString("/")
		}
		if seg == "**" {
			b.WriteString(`[^:]*`)
			continue
		}
		if strings.Contains(seg, "**") {
			return nil, fmt.Errorf("** must be a whole segment in glob %q", src)
		}
		for _, r := range seg {
			switch r {
			case '*':
				b.WriteString(`[^/:]*`)
			case '?':
				b.WriteString(`[^/:]`)
			default:
				b.WriteString(regexp.QuoteMeta(string(r)))
			}
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}
