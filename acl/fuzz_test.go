package acl

import (
	"regexp"
	"strings"
	"testing"

	"github.com/regbridge/regbridge/providers"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte(quickStartPolicy))
	f.Add([]byte(decidePolicy))
	f.Add([]byte("version: 1\nrules:\n  - id: a\n    who: [x]\n    when: {claims: {c: {regex: \"a|b\", glob: \"x*\"}}, any_of: [{groups: [a]}]}\n    grant: [{repository: \"${claims.c|path|lower}/**\"}]\n"))
	f.Add([]byte("version: 1\nrules: &a [*a]\n"))
	f.Add([]byte("version: 1\nrules:\n  - {id: d, effect: deny, who: anyone, deny: [{registry: catalog}], respond: forbidden, reason: r}\ntests:\n  - {name: t, request: [\"registry:catalog:*\"], expect_forbidden: d}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data, "fuzz.yaml", Options{})
		if err != nil {
			if _, ok := err.(*LoadError); !ok {
				t.Fatalf("error %T is not a *LoadError", err)
			}
			return
		}
		req := mustScopes(t, "repository:a/b:pull,push", "repository:x:*", "registry:catalog:*")
		for _, id := range []providers.Identity{{Anonymous: true}, {Provider: "x", Username: "u", Groups: []string{"a"}, Claims: map[string]any{"c": "v"}}} {
			for _, g := range p.Decide(id, "s", req).Granted {
				checkSubset(t, g, req)
			}
			_ = p.Explain(id, "s", req).String()
		}
	})
}

const placeholderFuzzPolicy = `version: 1
rules:
  - id: seg
    who: [ci]
    grant: [{repository: "c/${claims.v}/**", actions: [pull, push]}]
  - id: path
    who: [ci]
    grant: [{repository: "p/${claims.v|path|lower}", actions: [pull, push]}]
  - id: user
    who: [ci]
    grant: [{repository: "u/${username}-x/*", actions: [pull]}]
  - id: group
    who: [ci]
    grant: [{repository: "g/${group}/${subject|lower}", actions: [pull]}]
`

var refComponent = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$`)

// refValue is an independent statement of which values a placeholder may
// take: components of the distribution grammar, "/"-joined only with |path.
func refValue(v string, path, lower bool) (string, bool) {
	if lower {
		v = strings.Map(func(r rune) rune {
			if r >= 'A' && r <= 'Z' {
				return r + 32
			}
			return r
		}, v)
	}
	parts := []string{v}
	if path {
		parts = strings.Split(v, "/")
	}
	for _, p := range parts {
		if !refComponent.MatchString(p) {
			return "", false
		}
	}
	return v, len(v) <= 255
}

// refPattern turns a literal pattern into a regex: "*" one segment's
// characters, a trailing "/**" any depth.
func refPattern(p string) *regexp.Regexp {
	tail := ""
	if strings.HasSuffix(p, "/**") {
		p, tail = strings.TrimSuffix(p, "/**"), `(?:/.+)?`
	}
	return regexp.MustCompile("^" + strings.ReplaceAll(regexp.QuoteMeta(p), `\*`, `[^/]*`) + tail + "$")
}

// FuzzGrantsComeFromValidatedLiterals is the placeholder property: for any
// claim, username, group and subject, every granted repository matches a
// pattern written in the policy after substituting the values as literals,
// and only values an independent validator accepts.
func FuzzGrantsComeFromValidatedLiterals(f *testing.F) {
	for _, s := range [][4]string{
		{"org/app", "alice", "dev", "Sub"}, {"..", "a/b", "*", ""}, {"Org/App", "ALICE", "a..b", "x"},
		{"a%2Fb", "al\uff0fice", "g\n", "1"}, {"**", "", "", ""}, {"c/x", "x", "x", "x"},
	} {
		f.Add(s[0], s[1], s[2], s[3], "c/org/app")
	}
	p := mustParse(f, placeholderFuzzPolicy)
	f.Fuzz(func(t *testing.T, v, username, group, subject, name string) {
		req, err := ParseScopes([]string{"repository:" + name + ":pull,push"})
		if err != nil || len(req) != 1 {
			return
		}
		id := providers.Identity{Provider: "ci", Username: username, Subject: subject, Groups: []string{group}, Claims: map[string]any{"v": v}}
		d := p.Decide(id, "r", req)
		if len(d.Granted) == 0 {
			return
		}
		var allowed []string
		if x, ok := refValue(v, false, false); ok {
			allowed = append(allowed, "c/"+x+"/**")
		}
		if x, ok := refValue(v, true, true); ok {
			allowed = append(allowed, "p/"+x)
		}
		if x, ok := refValue(username, false, false); ok {
			allowed = append(allowed, "u/"+x+"-x/*")
		}
		g, gok := refValue(group, false, false)
		s, sok := refValue(subject, false, true)
		if gok && sok {
			allowed = append(allowed, "g/"+g+"/"+s)
		}
		for _, pat := range allowed {
			if refPattern(pat).MatchString(name) {
				return
			}
		}
		t.Fatalf("granted %v for values %q %q %q %q, but no validated literal pattern %v matches", d.Granted, v, username, group, subject, allowed)
	})
}
