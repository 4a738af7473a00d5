package acl

import (
	"fmt"
	"sort"
	"strings"

	"github.com/regbridge/regbridge/internal/yamlsyntax"
)

// Problem is one thing wrong with a policy file.
type Problem struct {
	// File is the policy file name.
	File string `json:"file"`
	// Line is the 1-based line the problem is on (0 when unknown).
	Line int `json:"line"`
	// Column is the 1-based column on Line, when known (YAML syntax
	// errors); 0 otherwise.
	Column int `json:"column,omitempty"`
	// Code names the kind of problem, for example "unknown-key" or a lint
	// code that a rule may list in allow_lint.
	Code string `json:"code"`
	// Message says what is wrong.
	Message string `json:"message"`
	// Fix is a one-line suggestion.
	Fix string `json:"fix"`
}

// String renders the problem as "file:line: code: message (fix: ...)",
// with "file:line:column:" when the column is known.
func (p Problem) String() string {
	pos := fmt.Sprintf("%s:%d", p.File, p.Line)
	if p.Column > 0 {
		pos += fmt.Sprintf(":%d", p.Column)
	}
	s := fmt.Sprintf("%s: %s: %s", pos, p.Code, p.Message)
	if p.Fix != "" {
		s += " (fix: " + p.Fix + ")"
	}
	return s
}

// LoadError lists every problem found while loading a policy. A policy with
// any problem is refused as a whole.
type LoadError struct {
	Problems []Problem
}

// Error renders one problem per line.
func (e *LoadError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// problems collects problems while a file is parsed.
type problems struct {
	file string
	list []Problem
}

func (ps *problems) add(line int, code, fix, format string, args ...any) {
	ps.list = append(ps.list, Problem{File: ps.file, Line: line, Code: code, Message: fmt.Sprintf(format, args...), Fix: fix})
}

// addSyntax reports a YAML syntax error on the line and column that broke
// the file, quoting the line.
func (ps *problems) addSyntax(data []byte, err error) {
	e := yamlsyntax.Locate(data, err)
	msg := e.Message
	if e.Line > 0 {
		msg = fmt.Sprintf("%s: %q", msg, e.Text)
	}
	ps.list = append(ps.list, Problem{File: ps.file, Line: e.Line, Column: e.Column, Code: "yaml", Message: msg, Fix: e.Hint})
}

func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	sort.SliceStable(ps.list, func(i, j int) bool { return ps.list[i].Line < ps.list[j].Line })
	return &LoadError{Problems: ps.list}
}
