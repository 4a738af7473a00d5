package yamlsyntax

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestASyntaxErrorIsPlacedOnTheBrokenLineAndColumn(t *testing.T) {
	cases := []struct {
		name, src string
		line, col int
		hint      string
	}{
		{"a key indented deeper than its siblings",
			"services:\n  - name: r\n    issuer: i\nkeys:\n  - private_key: k\n     certificate: c\npolicy: p\n", 6, 6, "indented deeper"},
		{"a key indented less than its siblings inside a list",
			"services:\n  - name: r\n    issuer: i\n   token_ttl: 5m\npolicy: p\n", 4, 4, "list entries"},
		{"an unclosed double quote",
			"listen: x\nservices:\n  - name: \"r\n    issuer: i\npolicy: p\n", 3, 11, "closing quote"},
		{"an unclosed single quote",
			"a: 1\nb: 'abc\nc: 2\nd: 3\n", 2, 4, "closing quote"},
		{"a tab in the indentation",
			"services:\n  - name: r\n\tissuer: i\npolicy: p\n", 3, 1, "spaces"},
		{"an unclosed flow list",
			"a: 1\nb: [1, 2\nc: 3\nd: 4\n", 2, 4, "closing ]"},
		{"an unclosed flow mapping",
			"a: 1\nb: {x: 1\nc: 3\n", 2, 4, "closing }"},
		{"a second colon in a plain value",
			"a: 1\nb: c: d\ne: 2\n", 2, 5, "quote the value"},
		{"an error after a valid multi-line flow list",
			"a: [1,\n    2]\nb:\n  - x\n y: 1\n", 5, 2, ""},
		{"an error in the last line of a long file",
			longFile(300) + "  bad: indent\n", 301, 3, "indented deeper"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var doc yaml.Node
			err := yaml.Unmarshal([]byte(tc.src), &doc)
			if err == nil {
				t.Fatal("the document parsed")
			}
			e := Locate([]byte(tc.src), err)
			if e.Line != tc.line || e.Column != tc.col {
				t.Errorf("placed at %d:%d, want %d:%d (yaml.v3: %v; text %q)", e.Line, e.Column, tc.line, tc.col, err, e.Text)
			}
			if !strings.Contains(e.Hint, tc.hint) {
				t.Errorf("hint %q does not say %q", e.Hint, tc.hint)
			}
			if strings.HasPrefix(e.Message, "yaml:") || strings.HasPrefix(e.Message, "line ") {
				t.Errorf("message keeps yaml.v3's prefix: %q", e.Message)
			}
		})
	}
}

func longFile(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("k")
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString(string(rune('a' + i%26)))
		b.WriteString(strings.Repeat("y", i/26))
		b.WriteString(": v\n")
	}
	return b.String()
}

func FuzzLocate(f *testing.F) {
	f.Add([]byte("a: 1\n\tb: 2\n"))
	f.Add([]byte("a: \"x\nb: 1\n"))
	f.Add([]byte("a: [1,\n  2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var doc yaml.Node
		err := yaml.Unmarshal(data, &doc)
		if err == nil {
			return
		}
		e := Locate(data, err)
		if e.Line < 0 || e.Column < 0 || (e.Line > 0 && e.Column == 0) {
			t.Fatalf("placed at %d:%d", e.Line, e.Column)
		}
		if e.Line > strings.Count(string(data), "\n")+1 {
			t.Fatalf("line %d is past the end", e.Line)
		}
	})
}
