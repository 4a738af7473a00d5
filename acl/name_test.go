package acl

import (
	"regexp"
	"strings"
	"testing"
)

// The grammar as distribution's reference package writes it: the oracle of
// the hand-written checks in name.go.
var (
	componentOracle = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$`)
	nameOracle      = regexp.MustCompile(`^` +
		`(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?/)?` +
		`[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*` +
		`(?:/[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*)*$`)
)

var nameCases = []string{
	"", "a", "A", "-", ".", "_", "__", "a.b", "a..b", "a_b", "a__b", "a___b", "a-b", "a--b", "a---b",
	"a-_b", "a_-b", "a._b", ".a", "a.", "a-", "-a", "_a", "a_", "ab9", "0", "a/b", "a//b", "/a", "a/",
	"library/ubuntu", "my-org/my.app_v2__x", "localhost:5000/a", "localhost:/a", "localhost:50a/a",
	"Host.Example.com/a/b", "host-.com/a", "-host.com/a", "ho--st.com:1/a", "host..com/a", "host.com",
	"a:1/b:2/c", "UPPER/a", "a/UPPER", "h:1:2/a", "x/y/z/w", "a/b.c/d-e/f_g", "a\x00b", "é/a",
	"h.c:8080/" + strings.Repeat("a", 40),
}

func TestHandWrittenRepositoryNameGrammarAgreesWithTheRegularExpressions(t *testing.T) {
	for _, s := range nameCases {
		if got, want := isRepositoryName(s), nameOracle.MatchString(s); got != want {
			t.Errorf("isRepositoryName(%q) = %v, the grammar says %v", s, got, want)
		}
		if got, want := isComponent(s), componentOracle.MatchString(s); got != want {
			t.Errorf("isComponent(%q) = %v, the grammar says %v", s, got, want)
		}
	}
}

func FuzzRepositoryNameGrammar(f *testing.F) {
	for _, s := range nameCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isRepositoryName(s), nameOracle.MatchString(s); got != want {
			t.Fatalf("isRepositoryName(%q) = %v, the grammar says %v", s, got, want)
		}
		if got, want := isComponent(s), componentOracle.MatchString(s); got != want {
			t.Fatalf("isComponent(%q) = %v, the grammar says %v", s, got, want)
		}
	})
}
