package acl

import (
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Typed comparison. Claim values and policy values are both reduced to a
// canonical string before they are compared:
//
//   - strings stay as they are (so "01234567" is not "1234567");
//   - numbers become their shortest decimal form (1234567, 1234567.0 and
//     json.Number("1234567") all become "1234567");
//   - booleans become "true" or "false" (so true and "true" are equal, but
//     "TRUE", " true" and 1 are not);
//   - arrays, objects and null are not scalars and never equal a scalar.

var decimalInt = regexp.MustCompile(`^-?(?:0|[1-9][0-9]*)$`)

// canonClaim returns the canonical string of a claim value and whether the
// value is a scalar.
func canonClaim(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case float64:
		return canonFloat(x)
	case float32:
		return canonFloat(float64(x))
	case int:
		return strconv.FormatInt(int64(x), 10), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case int32:
		return strconv.FormatInt(int64(x), 10), true
	case uint64:
		return strconv.FormatUint(x, 10), true
	case json.Number:
		return canonNumber(string(x))
	}
	return "", false
}

func canonFloat(f float64) (string, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", false
	}
	if f == 0 {
		return "0", true
	}
	return strconv.FormatFloat(f, 'f', -1, 64), true
}

func canonNumber(s string) (string, bool) {
	if decimalInt.MatchString(s) {
		if s == "-0" {
			return "0", true
		}
		return s, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return "", false
	}
	return canonFloat(f)
}

// claimList returns the canonical strings of an array claim's scalar
// elements, and whether the value is an array.
func claimList(v any) ([]string, bool) {
	switch x := v.(type) {
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := canonClaim(e); ok {
				out = append(out, s)
			}
		}
		return out, true
	case []string:
		return x, true
	}
	return nil, false
}

// canonNode returns the canonical string of a YAML scalar written in the
// policy, with the same rules as canonClaim.
func canonNode(n *yaml.Node) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		return "", false
	}
	switch n.ShortTag() {
	case "!!str":
		return n.Value, true
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return "", false
		}
		return strconv.FormatBool(b), true
	case "!!int":
		v := strings.ReplaceAll(n.Value, "_", "")
		if decimalInt.MatchString(strings.TrimPrefix(v, "+")) {
			return canonNumber(strings.TrimPrefix(v, "+"))
		}
		i, err := strconv.ParseInt(v, 0, 64)
		if err != nil {
			return "", false
		}
		return strconv.FormatInt(i, 10), true
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return "", false
		}
		return canonFloat(f)
	}
	return "", false
}

// nodeToClaim converts a YAML node of an inline test identity into the value
// a provider would produce from JSON: strings, bools, json.Number, []any and
// map[string]any.
func nodeToClaim(n *yaml.Node) (any, bool) {
	switch n.Kind {
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			return n.Value, true
		case "!!bool":
			var b bool
			err := n.Decode(&b)
			return b, err == nil
		case "!!int", "!!float":
			s, ok := canonNode(n)
			return json.Number(s), ok
		case "!!null":
			return nil, true
		}
		return nil, false
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, ok := nodeToClaim(c)
			if !ok {
				return nil, false
			}
			out = append(out, v)
		}
		return out, true
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, ok := nodeToClaim(n.Content[i+1])
			if !ok {
				return nil, false
			}
			out[n.Content[i].Value] = v
		}
		return out, true
	case yaml.AliasNode:
		return nodeToClaim(n.Alias)
	}
	return nil, false
}
