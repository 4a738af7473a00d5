package main

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/regbridge/regbridge/internal/yamlsyntax"
)

// decodeStrict decodes node into out and checks that every mapping key
// names a field of out's type. Every unknown key and every value of the
// wrong type is reported with its line, all at once; out holds what did
// decode. skip lists top-level keys handled by the caller.
func decodeStrict(file string, node *yaml.Node, out any, skip ...string) error {
	var errs []string
	checkKnown(file, node, reflect.TypeOf(out).Elem(), "", skip, &errs)
	if err := node.Decode(out); err != nil {
		errs = append(errs, typeErrors(file, err)...)
	}
	if len(errs) > 0 {
		return &configError{problems: errs}
	}
	return nil
}

// typeErrors turns yaml.v3's "line N: msg" errors into "file:N: msg".
func typeErrors(file string, err error) []string {
	var lines []string
	if te, ok := err.(*yaml.TypeError); ok {
		lines = te.Errors
	} else {
		lines = []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		if rest, ok := strings.CutPrefix(l, "line "); ok {
			n, msg, _ := strings.Cut(rest, ": ")
			msg = readableTypeError(msg)
			if n == "0" {
				out[i] = fmt.Sprintf("%s (from the environment): %s", file, msg)
				continue
			}
			out[i] = fmt.Sprintf("%s:%s: %s", file, n, msg)
			continue
		}
		out[i] = fmt.Sprintf("%s: %s", file, readableTypeError(l))
	}
	return out
}

var (
	durationType = reflect.TypeOf(time.Duration(0))
	nodeType     = reflect.TypeOf(yaml.Node{})
)

func checkKnown(file string, node *yaml.Node, t reflect.Type, path string, skip []string, errs *[]string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if node.Kind == yaml.DocumentNode && len(node.Content) == 1 {
		node = node.Content[0]
	}
	if node.Kind == yaml.AliasNode {
		*errs = append(*errs, fmt.Sprintf("%s:%d: YAML aliases are not accepted in configuration", file, node.Line))
		return
	}
	if t == nodeType || t == durationType {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if node.Kind != yaml.MappingNode {
			return
		}
		fields := yamlFields(t)
		seen := map[string]bool{}
		for i := 0; i+1 < len(node.Content); i += 2 {
			k, v := node.Content[i], node.Content[i+1]
			if seen[k.Value] {
				*errs = append(*errs, fmt.Sprintf("%s:%d: key %s%s is given twice", file, k.Line, path, k.Value))
			}
			seen[k.Value] = true
			if slices.Contains(skip, k.Value) {
				continue
			}
			ft, ok := fields[k.Value]
			if !ok {
				*errs = append(*errs, fmt.Sprintf("%s:%d: unknown key %s%s%s", file, lineOf(k), path, k.Value, suggest(k.Value, fields)))
				continue
			}
			checkKnown(file, v, ft, path+k.Value+".", nil, errs)
		}
	case reflect.Slice:
		if node.Kind != yaml.SequenceNode {
			return
		}
		for i, c := range node.Content {
			checkKnown(file, c, t.Elem(), fmt.Sprintf("%s%d.", path, i), nil, errs)
		}
	case reflect.Map:
		if node.Kind != yaml.MappingNode {
			return
		}
		for i := 1; i < len(node.Content); i += 2 {
			checkKnown(file, node.Content[i], t.Elem(), path, nil, errs)
		}
	}
}

func lineOf(n *yaml.Node) int { return n.Line }

// yamlFields maps yaml keys of struct t (with inlined structs) to types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") {
			for k, v := range yamlFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

// suggest names the closest known key, if one is close.
func suggest(key string, fields map[string]reflect.Type) string {
	best, bestD := "", 3
	for k := range fields {
		if d := editDistance(key, k); d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// configError collects problems, one per line. partial, when set, is the
// configuration as far as it decoded, so that check can go on to report
// what the files it names would add.
type configError struct {
	problems []string
	partial  *Config
}

func (e *configError) Error() string { return strings.Join(e.problems, "\n") }

// syntaxProblem reports a YAML syntax error as "file:line:column: message:
// the line (fix: hint)", on the line that broke the file rather than where
// yaml.v3 says its enclosing block starts.
func syntaxProblem(file string, raw []byte, err error) string {
	e := yamlsyntax.Locate(raw, err)
	if e.Line == 0 {
		return fmt.Sprintf("%s: YAML syntax: %s (fix: %s)", file, e.Message, e.Hint)
	}
	return fmt.Sprintf("%s:%d:%d: YAML syntax: %s: %q (fix: %s)", file, e.Line, e.Column, e.Message, e.Text, e.Hint)
}
