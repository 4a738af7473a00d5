// Package yamlsyntax places a YAML syntax error on the line that broke the
// document. yaml.v3 reports the line where the enclosing block starts (and
// off by one for some errors): a badly indented key deep in a list is
// reported at the list's first line. Locate finds the first line whose
// addition makes the document unparsable, a column on it, and a hint.
package yamlsyntax

import (
	"bytes"
	"strings"

	"gopkg.in/yaml.v3"
)

// Error is a located syntax error.
type Error struct {
	// Line and Column are 1-based; Column is 0 when unknown.
	Line, Column int
	// Message is yaml.v3's message without its "yaml: line N:" prefix.
	Message string
	// Text is the broken line as written.
	Text string
	// Hint is a one-line suggestion.
	Hint string
}

// Locate places err, the error yaml.v3 returned for data, by parsing a
// logarithmic number of prefixes of data.
func Locate(data []byte, err error) Error {
	msg := message(err)
	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(lines) > 0 && len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	line := brokenLine(lines)
	e := Error{Line: line, Message: msg}
	if line > 0 {
		e.Text = strings.TrimRight(string(lines[line-1]), "\r\n")
		e.Column = column(e.Text, msg)
	}
	e.Hint = hint(msg)
	return e
}

// message strips yaml.v3's prefixes.
func message(err error) string {
	m := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(m, "line "); ok {
		if _, after, ok := strings.Cut(rest, ": "); ok {
			m = after
		}
	}
	return m
}

// brokenLine is the first line n such that the first n-1 lines parse and
// the first n do not, searched from the end: once the broken line is in,
// every longer prefix fails too, while shorter prefixes fail only when they
// stop inside a quoted string or flow collection that a later line closes.
func brokenLine(lines [][]byte) int {
	n := len(lines)
	if n == 0 {
		return 0
	}
	parses := func(k int) bool {
		var doc yaml.Node
		return yaml.Unmarshal(bytes.Join(lines[:k], nil), &doc) == nil
	}
	hi, lo := n, 0
	for step := 1; ; step *= 2 {
		k := n - step
		if k <= 0 {
			break
		}
		if parses(k) {
			lo = k
			break
		}
		hi = k
	}
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if parses(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

// column points at what the message is about on text, else at the line's
// first character.
func column(text, msg string) int {
	first := len(text) - len(strings.TrimLeft(text, " \t")) + 1
	if first > len(text) {
		first = 1
	}
	at := func(i int) int {
		if i < 0 {
			return first
		}
		return i + 1
	}
	switch {
	case strings.Contains(msg, "tab character"):
		return at(strings.IndexByte(text, '\t'))
	case strings.Contains(msg, "end of stream"), strings.Contains(msg, "quoted scalar"):
		return at(strings.IndexAny(text, `"'`))
	case strings.Contains(msg, "',' or ']'"):
		return at(strings.LastIndexByte(text, '['))
	case strings.Contains(msg, "',' or '}'"):
		return at(strings.LastIndexByte(text, '{'))
	case strings.Contains(msg, "mapping values are not allowed"):
		if i := strings.Index(text, ": "); i >= 0 {
			if j := strings.Index(text[i+2:], ": "); j >= 0 && strings.TrimSpace(text[:first-1]) == "" && !strings.ContainsAny(text[:i+2+j], `"'`) {
				return i + 2 + j + 1
			}
		}
	}
	return first
}

// hints map a part of yaml.v3's message to a fix.
var hints = []struct{ part, fix string }{
	{"tab character", "indent with spaces: YAML does not allow tabs in indentation"},
	{"end of stream", "a quoted string starts on this line and is never closed: add the closing quote"},
	{"quoted scalar", "a quoted string starts on this line and is never closed: add the closing quote"},
	{"',' or ']'", "a [ list starts on this line and is never closed: add the closing ] (or a comma between items)"},
	{"',' or '}'", "a { mapping starts on this line and is never closed: add the closing } (or a comma between entries)"},
	{"mapping values are not allowed", "this key is indented deeper than the keys beside it, or a value holds ': ': align the key with its siblings or quote the value"},
	{"expected '-' indicator", "this line is indented differently from the list entries above it: align it with them, or start a new entry with '- '"},
	{"expected key", "this line is indented differently from the keys above it: align it with them"},
	{"could not find expected ':'", "a key needs ': ' (a colon and a space) before its value"},
	{"block sequence entries are not allowed", "a '- ' list entry cannot follow a value on the same key: put the list on its own lines under the key"},
	{"cannot start any token", "quote the value: it starts with a character YAML reserves (` @ % |  >)"},
	{"expected node content", "a value is missing or a bracket is unbalanced on this line"},
}

func hint(msg string) string {
	for _, h := range hints {
		if strings.Contains(msg, h.part) {
			return h.fix
		}
	}
	return "fix the YAML syntax on this line"
}
