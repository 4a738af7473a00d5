package acl

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Limits on requested scopes. A request beyond them is malformed.
const (
	// MaxScopes is the most scopes one token request may carry.
	MaxScopes = 64
	// MaxScopeLen is the longest single scope string accepted.
	MaxScopeLen = 512
)

// Actions known to the registry token protocol.
const (
	ActionPull   = "pull"
	ActionPush   = "push"
	ActionDelete = "delete"
	ActionAll    = "*"
)

// ErrMalformedScope is wrapped by every scope parse error.
var ErrMalformedScope = errors.New("malformed scope")

// Scope is one resource and the actions asked for or granted on it.
type Scope struct {
	// Type is "repository" or "registry".
	Type string
	// Name is the repository name (possibly with a host:port/ prefix) or
	// "catalog".
	Name string
	// Actions are sorted and free of duplicates.
	Actions []string
}

// String renders the scope in the wire form "type:name:a,b".
func (s Scope) String() string {
	return s.Type + ":" + s.Name + ":" + strings.Join(s.Actions, ",")
}

// maxNameLen is distribution's limit on a repository name.
const maxNameLen = 255

// ParseScope parses one scope: "repository:NAME:ACTIONS",
// "repository(CLASS):NAME:ACTIONS" (the class is ignored) or
// "registry:catalog:*". NAME may start with "host:port/".
func ParseScope(s string) (Scope, error) {
	if len(s) > MaxScopeLen {
		return Scope{}, fmt.Errorf("%w: longer than %d bytes", ErrMalformedScope, MaxScopeLen)
	}
	first := strings.IndexByte(s, ':')
	last := strings.LastIndexByte(s, ':')
	if first < 0 || first == last {
		return Scope{}, fmt.Errorf("%w %q: want type:name:actions", ErrMalformedScope, s)
	}
	typ, name, acts := s[:first], s[first+1:last], s[last+1:]
	if i := strings.IndexByte(typ, '('); i >= 0 {
		class := typ[i:]
		if len(class) < 3 || class[len(class)-1] != ')' || !isClass(class[1:len(class)-1]) {
			return Scope{}, fmt.Errorf("%w %q: bad resource class", ErrMalformedScope, s)
		}
		typ = typ[:i]
	}
	actions, err := parseActions(acts)
	if err != nil {
		return Scope{}, fmt.Errorf("%w %q: %v", ErrMalformedScope, s, err)
	}
	switch typ {
	case "repository":
		if len(name) > maxNameLen || !isRepositoryName(name) {
			return Scope{}, fmt.Errorf("%w %q: invalid repository name %q", ErrMalformedScope, s, name)
		}
	case "registry":
		if name != "catalog" {
			return Scope{}, fmt.Errorf("%w %q: registry scopes name only \"catalog\"", ErrMalformedScope, s)
		}
	default:
		return Scope{}, fmt.Errorf("%w %q: unknown resource type %q", ErrMalformedScope, s, typ)
	}
	return Scope{Type: typ, Name: name, Actions: actions}, nil
}

func isClass(c string) bool {
	for _, r := range c {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func parseActions(s string) ([]string, error) {
	if s == "" {
		return nil, errors.New("no actions")
	}
	var bits uint8
	for {
		a, rest, more := strings.Cut(s, ",")
		bit, ok := actionBit(a)
		if !ok {
			return nil, fmt.Errorf("unknown action %q", a)
		}
		if bit == bitAll {
			bit = bitStar // the literal "*", as asked
		}
		bits |= bit
		if !more {
			return actionLists[bits], nil
		}
		s = rest
	}
}

// ParseScopes parses every scope in values. Each value may hold several
// scopes separated by single spaces (the form of a registry challenge and of
// the OAuth2 POST flow). Scopes on the same resource are merged; the result
// keeps the order in which each resource first appeared.
func ParseScopes(values []string) ([]Scope, error) {
	var out []Scope
	n := 0
	for _, v := range values {
		if v == "" {
			continue
		}
		for s, rest, more := "", v, true; more; {
			s, rest, more = strings.Cut(rest, " ")
			n++
			if n > MaxScopes {
				return nil, fmt.Errorf("%w: more than %d scopes", ErrMalformedScope, MaxScopes)
			}
			sc, err := ParseScope(s)
			if err != nil {
				return nil, err
			}
			out = mergeScope(out, sc)
		}
	}
	return out, nil
}

func mergeScope(list []Scope, sc Scope) []Scope {
	for i := range list {
		if list[i].Type == sc.Type && list[i].Name == sc.Name {
			merged := append(slices.Clone(list[i].Actions), sc.Actions...)
			slices.Sort(merged)
			list[i].Actions = slices.Compact(merged)
			return list
		}
	}
	return append(list, sc)
}
