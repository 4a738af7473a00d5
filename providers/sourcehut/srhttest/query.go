package srhttest

import (
	"fmt"
	"strings"
)

// field is one root field of a query with its scalar subfields.
type field struct {
	name string
	sub  []string
}

// schema lists the root fields the fake knows and their scalar subfields.
var schema = map[string]map[string]bool{
	"version": {"major": true, "minor": true, "patch": true},
	"me":      {"id": true, "username": true, "canonicalName": true},
}

// parseQuery parses `[query [Name]] { root { sub … } … }` — the only shape the
// fake serves — and validates it against schema, as gqlgen would (which then
// answers 422).
func parseQuery(q string) ([]field, error) {
	toks := tokenize(q)
	if len(toks) == 0 {
		return nil, queryError("no operation provided")
	}
	if toks[0] == "query" {
		toks = toks[1:]
		if len(toks) > 0 && toks[0] != "{" {
			toks = toks[1:] // operation name
		}
	}
	p := &parser{toks: toks}
	roots, err := p.selection(0)
	if err != nil {
		return nil, err
	}
	if len(p.toks) != 0 {
		return nil, queryErrorf("Unexpected Name %q", p.toks[0])
	}
	var out []field
	for _, r := range roots {
		subs, ok := schema[r.name]
		if !ok {
			return nil, queryErrorf("Cannot query field %q on type \"Query\".", r.name)
		}
		if len(r.sub) == 0 {
			return nil, queryErrorf("Field %q of type must have a selection of subfields.", r.name)
		}
		for _, s := range r.sub {
			if !subs[s] {
				return nil, queryErrorf("Cannot query field %q on type %q.", s, r.name)
			}
		}
		out = append(out, r)
	}
	return out, nil
}

type parser struct{ toks []string }

// selection parses "{" name [selection] … "}" two levels deep.
func (p *parser) selection(depth int) ([]field, error) {
	if len(p.toks) == 0 || p.toks[0] != "{" {
		return nil, queryError("Expected {")
	}
	p.toks = p.toks[1:]
	var out []field
	for {
		if len(p.toks) == 0 {
			return nil, queryError("Expected Name, found <EOF>")
		}
		t := p.toks[0]
		if t == "}" {
			p.toks = p.toks[1:]
			if len(out) == 0 {
				return nil, queryError("Expected Name, found }")
			}
			return out, nil
		}
		if !isName(t) {
			return nil, queryErrorf("Expected Name, found %s", t)
		}
		p.toks = p.toks[1:]
		f := field{name: t}
		if len(p.toks) > 0 && p.toks[0] == "{" {
			if depth > 0 {
				return nil, queryErrorf("Field %q must not have a selection since it has no subfields.", t)
			}
			subs, err := p.selection(depth + 1)
			if err != nil {
				return nil, err
			}
			for _, s := range subs {
				f.sub = append(f.sub, s.name)
			}
		}
		out = append(out, f)
	}
}

func tokenize(q string) []string {
	var toks []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			toks = append(toks, cur.String())
			cur.Reset()
		}
	}
	for _, c := range q {
		switch {
		case c == '{' || c == '}' || c == '(' || c == ')' || c == ':':
			flush()
			toks = append(toks, string(c))
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',':
			flush()
		default:
			cur.WriteRune(c)
		}
	}
	flush()
	return toks
}

func isName(s string) bool {
	for i, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return s != ""
}

// queryError is a GraphQL validation message, worded as gqlgen words it.
type queryError string

func (e queryError) Error() string { return string(e) }

func queryErrorf(format string, a ...any) error { return queryError(fmt.Sprintf(format, a...)) }
