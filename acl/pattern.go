package acl

import (
	"errors"
	"fmt"
	"strings"

	"github.com/regbridge/regbridge/providers"
)

// Repository patterns are "/"-separated. A segment is "**" (only as the last
// segment: any number of segments, including none), or a mix of literal
// text, "*" (any run of characters inside one segment) and placeholders
// ${...}. A value substituted for a placeholder is a literal: it must be one
// valid repository path component (or, with |path, several), so it can never
// add a wildcard, climb out with "..", or expand to nothing.

// maxPlaceholderValue caps a substituted value (a repository name is at most
// 255 bytes).
const maxPlaceholderValue = maxNameLen

// placeholder sources.
const (
	phUsername = "username"
	phSubject  = "subject"
	phProvider = "provider"
	phGroup    = "group"
	phClaims   = "claims."
)

// placeholder is one ${source|filter...} in a pattern.
type placeholder struct {
	src    string // the text between ${ and }
	source string // username, subject, provider, group, or claims.
	claim  string // the claim name for claims.NAME
	lower  bool
	path   bool
}

// token is a piece of a pattern: literal text or a placeholder.
type token struct {
	lit string
	ph  *placeholder
}

// pattern is a compiled repository pattern.
type pattern struct {
	src    string
	tokens []token
	// segs are the segments when the pattern has no placeholders.
	segs []string
	// prefix are the leading segments that are plain literals (index key).
	prefix   []string
	hasGroup bool
}

var errPattern = errors.New("invalid pattern")

// shape is the pattern text with every placeholder replaced by NUL.
func (p *pattern) shape() string {
	var b strings.Builder
	for _, t := range p.tokens {
		if t.ph != nil {
			b.WriteByte(0)
		} else {
			b.WriteString(t.lit)
		}
	}
	return b.String()
}

func (p *pattern) hasPlaceholder() bool {
	for _, t := range p.tokens {
		if t.ph != nil {
			return true
		}
	}
	return false
}

// placeholders returns the pattern's placeholders.
func (p *pattern) placeholders() []*placeholder {
	var out []*placeholder
	for _, t := range p.tokens {
		if t.ph != nil {
			out = append(out, t.ph)
		}
	}
	return out
}

// broad reports whether the pattern starts with a wildcard segment.
func (p *pattern) broad() bool {
	return len(p.prefix) == 0 && len(p.tokens) > 0 && p.tokens[0].ph == nil && strings.HasPrefix(p.tokens[0].lit, "*")
}

// value returns the validated value of ph for id. group is the group value
// for ${group}. The error says why the value was refused.
func (ph *placeholder) value(id *providers.Identity, group string) (string, error) {
	var v string
	switch ph.source {
	case phUsername:
		v = id.Username
	case phSubject:
		v = id.Subject
	case phProvider:
		v = id.Provider
	case phGroup:
		v = group
	case phClaims:
		raw, ok := id.Claims[ph.claim]
		if !ok {
			return "", fmt.Errorf("%s: claim %q is missing", ph.src, ph.claim)
		}
		s, ok := canonClaim(raw)
		if !ok {
			return "", fmt.Errorf("%s: claim %q is not a string or number", ph.src, ph.claim)
		}
		if _, isBool := raw.(bool); isBool {
			return "", fmt.Errorf("%s: claim %q is a boolean", ph.src, ph.claim)
		}
		v = s
	}
	if ph.lower {
		v = asciiLower(v)
	}
	if err := validValue(v, ph.path); err != nil {
		return "", fmt.Errorf("%s: %w", ph.src, err)
	}
	return v, nil
}

// asciiLower lower-cases A-Z only. Unicode case folding could turn a
// lookalike (the Kelvin sign K) into an ASCII letter.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// validValue checks a substituted value: one component, or with path
// several "/"-separated components, each matching the distribution grammar.
func validValue(v string, path bool) error {
	switch {
	case v == "":
		return errors.New("value is empty")
	case len(v) > maxPlaceholderValue:
		return fmt.Errorf("value is longer than %d bytes", maxPlaceholderValue)
	case !path && strings.Contains(v, "/"):
		return fmt.Errorf("value %q contains / (add |path to allow several segments)", v)
	}
	for _, seg := range strings.Split(v, "/") {
		if !isComponent(seg) {
			return fmt.Errorf("value %q: %q is not a valid repository name component", v, seg)
		}
	}
	return nil
}

// expand calls fn with the concrete segments of the pattern for id: once
// for a pattern without ${group}, once per valid group otherwise. Values that
// fail validation drop that expansion; drop is called with the reason.
func (p *pattern) expand(id *providers.Identity, fn func(segs []string), drop func(reason string)) {
	if p.segs != nil {
		fn(p.segs)
		return
	}
	groups := []string{""}
	if p.hasGroup {
		groups = id.Groups
	}
	var b strings.Builder
next:
	for _, g := range groups {
		b.Reset()
		for _, t := range p.tokens {
			if t.ph == nil {
				b.WriteString(t.lit)
				continue
			}
			v, err := t.ph.value(id, g)
			if err != nil {
				if drop != nil {
					drop(err.Error())
				}
				continue next
			}
			b.WriteString(v)
		}
		segs := strings.Split(b.String(), "/")
		for _, s := range segs {
			if s != "**" && !strings.Contains(s, "*") && !isComponent(s) {
				if drop != nil {
					drop(fmt.Sprintf("%s: segment %q after substitution is not a valid component", p.src, s))
				}
				continue next
			}
		}
		fn(segs)
	}
}

// matchSegs reports whether the concrete pattern segments match the name
// segments. Every name segment is a valid component (checked by the caller).
func matchSegs(pat, name []string) bool {
	for i, ps := range pat {
		if ps == "**" {
			return true
		}
		if i >= len(name) || !globSegment(ps, name[i]) {
			return false
		}
	}
	return len(pat) == len(name)
}

// globSegment matches one segment where "*" is any run of characters.
func globSegment(pat, s string) bool {
	if !strings.Contains(pat, "*") {
		return pat == s
	}
	// Iterative wildcard match with single backtrack point (linear in
	// practice, quadratic worst case on a segment of at most 255 bytes).
	px, sx := 0, 0
	starP, starS := -1, 0
	for sx < len(s) {
		switch {
		case px < len(pat) && pat[px] == '*':
			starP, starS = px, sx
			px++
		case px < len(pat) && pat[px] == s[sx]:
			px++
			sx++
		case starP >= 0:
			px = starP + 1
			starS++
			sx = starS
		default:
			return false
		}
	}
	for px < len(pat) && pat[px] == '*' {
		px++
	}
	return px == len(pat)
}

// nameSegments splits a repository name into segments, or returns nil when
// any segment is not a valid component (a host:port prefix, for example):
// such a name is never matched by any pattern.
func nameSegments(name string) []string {
	segs := strings.Split(name, "/")
	for _, s := range segs {
		if !isComponent(s) {
			return nil
		}
	}
	return segs
}
