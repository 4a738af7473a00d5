package acl

import (
	"strings"
	"testing"

	"github.com/regbridge/regbridge/providers"
)

func mustParse(t testing.TB, src string) *Policy {
	t.Helper()
	p, err := Parse([]byte(src), "test.yaml", Options{})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return p
}

func mustScopes(t testing.TB, s ...string) []Scope {
	t.Helper()
	out, err := ParseScopes(s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPlaceholderValuesNeverWidenAPattern feeds every injection value to a
// placeholder: a value that is not a valid component (or path, with |path)
// drops the grant; it is never sanitised, never a wildcard, never empty.
func TestPlaceholderValuesNeverWidenAPattern(t *testing.T) {
	p := mustParse(t, `version: 1
rules:
  - id: seg
    who: [ci]
    grant: [{repository: "seg/${claims.v}/**", actions: [pull, push]}]
  - id: path
    who: [ci]
    grant: [{repository: "path/${claims.v|path}", actions: [pull, push]}]
  - id: lower
    who: [ci]
    grant: [{repository: "lower/${claims.v|lower}", actions: [pull, push]}]
  - id: pathlower
    who: [ci]
    grant: [{repository: "pl/${claims.v|path|lower}", actions: [pull, push]}]
`)
	probe := []string{
		"seg/x", "seg/x/y", "seg/admin", "seg/a/b", "path/a", "path/a/b", "path/admin", "path/x",
		"lower/a", "lower/stellaops", "lower/x", "pl/stellaops/api", "pl/x", "pl/admin", "seg/stellaops/x", "path/stellaops/api", "seg/42",
	}
	tests := []struct {
		name  string
		value any
		want  []string // granted names among probe
	}{
		{"a plain component fills one segment", "x", []string{"seg/x", "seg/x/y", "path/x", "lower/x", "pl/x"}},
		{"dot-dot is dropped", "..", nil},
		{"dot-dot inside a path is dropped", "stellaops/../admin", nil},
		{"a slash without |path is dropped", "a/b", []string{"path/a/b"}},
		{"a trailing slash is dropped", "stellaops/api/", nil},
		{"a double slash is dropped", "stellaops//api", nil},
		{"a leading dot is dropped", ".hidden", nil},
		{"a double dot inside a component is dropped", "a..b", nil},
		{"a star is dropped, never a wildcard", "*", nil},
		{"a double star is dropped", "**", nil},
		{"a star inside a path is dropped", "stellaops/*", nil},
		{"percent-encoded slash is dropped", "stellaops%2Fapi", nil},
		{"uppercase without |lower is dropped", "StellaOps", []string{"lower/stellaops"}},
		{"uppercase path with |path|lower is lowered", "StellaOps/API", []string{"pl/stellaops/api"}},
		{"the empty string is dropped", "", nil},
		{"fullwidth solidus is dropped", "stellaops\uff0fapi", nil},
		{"fullwidth letters are dropped even with |lower", "\uff21\uff30\uff29", nil},
		{"the Kelvin sign is not folded to k", "\u212a", nil},
		{"a colon (tag) is dropped", "api:latest", nil},
		{"a space is dropped", "a b", nil},
		{"a newline is dropped", "x\n", nil},
		{"a NUL byte is dropped", "x\x00", nil},
		{"a value of 300 characters is dropped", strings.Repeat("a", 300), nil},
		{"a placeholder-looking value stays literal", "${username}", nil},
		{"a number is its decimal form", float64(42), []string{"seg/42"}},
		{"a boolean is dropped", true, nil},
		{"an array is dropped", []any{"x"}, nil},
		{"an object is dropped", map[string]any{"a": "x"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := providers.Identity{Provider: "ci", Claims: map[string]any{"v": tt.value}}
			d := p.Decide(id, "r", mustScopes(t, probeScopes(probe)...))
			var got []string
			for _, g := range d.Granted {
				got = append(got, g.Name)
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Fatalf("value %q granted %v, want %v", tt.value, got, tt.want)
			}
		})
	}
}

func probeScopes(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "repository:" + n + ":pull"
	}
	return out
}

func TestEveryIdentityPlaceholderSubstitutes(t *testing.T) {
	p := mustParse(t, `version: 1
rules:
  - id: all
    who: authenticated
    grant:
      - {repository: "u/${username}"}
      - {repository: "s/${subject}"}
      - {repository: "p/${provider}"}
      - {repository: "g/${group}"}
      - {repository: "c/${claims.stellaops:plan}"}
`)
	id := providers.Identity{Provider: "users", Username: "alice", Subject: "1001", Groups: []string{"a", "B", "c/d", "e"},
		Claims: map[string]any{"stellaops:plan": "pro"}}
	d := p.Decide(id, "r", mustScopes(t, probeScopes([]string{"u/alice", "s/1001", "p/users", "g/a", "g/b", "g/c", "g/e", "c/pro"})...))
	if got, want := scopesString(d.Granted), "repository:u/alice:pull repository:s/1001:pull repository:p/users:pull repository:g/a:pull repository:g/e:pull repository:c/pro:pull"; got != want {
		t.Fatalf("got %s\nwant %s", got, want)
	}
	if len(d.Dropped) != 2 {
		t.Errorf("Dropped = %v, want the groups B and c/d", d.Dropped)
	}
}

func TestAnonymousIdentityFillsNoPlaceholder(t *testing.T) {
	p := mustParse(t, `version: 1
rules:
  - id: own
    who: anyone
    grant: [{repository: "${username}/**"}]
`)
	if d := p.Decide(providers.Identity{Anonymous: true}, "r", mustScopes(t, "repository:x:pull")); len(d.Granted) != 0 {
		t.Fatalf("anonymous got %v", d.Granted)
	}
}

func TestPatternSyntax(t *testing.T) {
	tests := []struct {
		name, pattern string
		ok            bool
	}{
		{"literal path", "a/b/c", true},
		{"double star at the end", "a/**", true},
		{"double star alone", "**", true},
		{"star inside a segment", "team-*/app", true},
		{"placeholder with filters", "ci/${claims.repo|path|lower}", true},
		{"double star in the middle", "a/**/b", false},
		{"double star inside a segment", "a/b**", false},
		{"empty segment", "a//b", false},
		{"leading slash", "/a", false},
		{"trailing slash", "a/", false},
		{"unterminated placeholder", "a/${username", false},
		{"unknown placeholder", "a/${email}", false},
		{"unknown filter", "a/${username|upper}", false},
		{"wildcard next to a placeholder", "a/${username}*", false},
		{"stray dollar", "a/$x", false},
		{"a colon", "host:5000/a", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := compilePattern(tt.pattern)
			if (err == nil) != tt.ok {
				t.Fatalf("compilePattern(%q) err = %v, want ok=%v", tt.pattern, err, tt.ok)
			}
		})
	}
}

func TestPatternMatching(t *testing.T) {
	tests := []struct {
		name, pattern, repo string
		want                bool
	}{
		{"double star matches the prefix itself", "public/**", "public", true},
		{"double star matches below", "public/**", "public/a/b/c", true},
		{"double star does not match a sibling prefix", "public/**", "publicity/a", false},
		{"star stays in one segment", "a/*", "a/b/c", false},
		{"star matches one segment", "a/*", "a/b", true},
		{"star inside a segment", "team-*/app", "team-x/app", true},
		{"star inside a segment does not cross a slash", "team-*", "team-x/app", false},
		{"literal is exact", "a/b", "a/bb", false},
		{"a host prefix is never matched by a wildcard", "**", "localhost:5000/a", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, "version: 1\nrules:\n  - id: r\n    who: anyone\n    grant: [{repository: \""+tt.pattern+"\"}]\n")
			d := p.Decide(providers.Identity{Anonymous: true}, "r", mustScopes(t, "repository:"+tt.repo+":pull"))
			if got := len(d.Granted) == 1; got != tt.want {
				t.Fatalf("%q vs %q: granted=%v, want %v", tt.pattern, tt.repo, got, tt.want)
			}
		})
	}
}

func TestGlobSegment(t *testing.T) {
	for _, tt := range []struct {
		pat, s string
		want   bool
	}{
		{"*", "abc", true}, {"a*c", "abc", true}, {"a*c", "ac", true}, {"a*c", "abd", false},
		{"*-*", "a-b", true}, {"*-*", "ab", false}, {"a**", "a", true}, {"abc", "abc", true}, {"*x", "xxxy", false},
	} {
		if got := globSegment(tt.pat, tt.s); got != tt.want {
			t.Errorf("globSegment(%q, %q) = %v, want %v", tt.pat, tt.s, got, tt.want)
		}
	}
}
