package main

import (
	"fmt"
	"regexp"
	"strings"
)

// yamlTypeError matches yaml.v3's "cannot unmarshal !!str `1 hour` into
// time.Duration"; the value is shortened by yaml.v3 itself when long.
var yamlTypeError = regexp.MustCompile("^cannot unmarshal !!(\\w+)(?: `(.*)`)? into (\\S+)$")

// readableTypeError says what a value of the wrong type should have been,
// in place of yaml.v3's Go type names. Messages it does not know are kept.
func readableTypeError(msg string) string {
	m := yamlTypeError.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	kind, val, into := m[1], m[2], m[3]
	switch kind {
	case "seq":
		return "a list is given where " + expected(into) + " is expected"
	case "map":
		return "a mapping is given where " + expected(into) + " is expected"
	}
	switch into {
	case "time.Duration":
		return fmt.Sprintf("%q is not a duration: write a number and a unit, such as 90s, 5m, 1h or 1h30m", val)
	case "bool":
		return fmt.Sprintf("%q is not true or false", val)
	case "int", "int64", "int32", "uint", "uint64", "uint32":
		return fmt.Sprintf("%q is not a whole number", val)
	}
	return fmt.Sprintf("%q is a single value where %s is expected", val, expected(into))
}

// expected names the YAML form of a Go type yaml.v3 decodes into.
func expected(into string) string {
	switch {
	case strings.HasPrefix(into, "[]"):
		return "a list"
	case strings.HasPrefix(into, "map["):
		return "a mapping"
	case into == "string", into == "bool", into == "time.Duration", strings.HasPrefix(into, "int"), strings.HasPrefix(into, "uint"), strings.HasPrefix(into, "float"):
		return "a single value"
	}
	return "a mapping"
}
