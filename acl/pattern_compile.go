package acl

import (
	"fmt"
	"strings"
)

// compilePattern parses a repository pattern. lintMsgs receives findings
// that make the pattern unable to match (never an error by themselves).
func compilePattern(src string) (*pattern, []string, error) {
	if src == "" {
		return nil, nil, fmt.Errorf("%w: empty", errPattern)
	}
	if len(src) > maxNameLen*2 {
		return nil, nil, fmt.Errorf("%w: longer than %d bytes", errPattern, maxNameLen*2)
	}
	p := &pattern{src: src}
	if err := p.tokenize(); err != nil {
		return nil, nil, err
	}
	if err := p.checkLiterals(); err != nil {
		return nil, nil, err
	}
	// Segment structure, with each placeholder standing for an opaque value.
	segs := strings.Split(p.shape(), "/")
	lints, err := checkSegments(segs, src)
	if err != nil {
		return nil, nil, err
	}
	if !p.hasPlaceholder() {
		p.segs = strings.Split(src, "/")
	}
	for _, s := range segs {
		if strings.ContainsAny(s, "*\x00") {
			break
		}
		p.prefix = append(p.prefix, s)
	}
	return p, lints, nil
}

// tokenize splits p.src into literal text and ${...} placeholders.
func (p *pattern) tokenize() error {
	rest := p.src
	for rest != "" {
		i := strings.Index(rest, "${")
		if i < 0 {
			p.tokens = append(p.tokens, token{lit: rest})
			return nil
		}
		if i > 0 {
			p.tokens = append(p.tokens, token{lit: rest[:i]})
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return fmt.Errorf("%w: unterminated ${ in %q", errPattern, p.src)
		}
		ph, err := parsePlaceholder(rest[i+2 : i+j])
		if err != nil {
			return err
		}
		if ph.source == phGroup {
			p.hasGroup = true
		}
		p.tokens = append(p.tokens, token{ph: ph})
		rest = rest[i+j+1:]
	}
	return nil
}

// checkLiterals refuses literal text outside the repository alphabet
// (letters, digits, "._-/" and "*"), and a stray $ or }.
func (p *pattern) checkLiterals() error {
	for _, t := range p.tokens {
		if t.ph != nil {
			continue
		}
		for _, r := range t.lit {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-/*", r)) {
				return fmt.Errorf("%w: character %q is not allowed in %q", errPattern, r, p.src)
			}
		}
		if strings.Contains(t.lit, "$") || strings.Contains(t.lit, "}") {
			return fmt.Errorf("%w: stray $ or } in %q", errPattern, p.src)
		}
	}
	return nil
}

// checkSegments checks the segments of a pattern's shape (placeholders as
// NUL): errors for what is malformed, lints for what can never match.
func checkSegments(segs []string, src string) ([]string, error) {
	var lints []string
	for i, s := range segs {
		switch {
		case s == "":
			return nil, fmt.Errorf("%w: empty segment in %q", errPattern, src)
		case s == "**":
			if i != len(segs)-1 {
				return nil, fmt.Errorf("%w: ** is only allowed as the last segment in %q", errPattern, src)
			}
		case strings.Contains(s, "**"):
			return nil, fmt.Errorf("%w: ** must be a whole segment in %q", errPattern, src)
		case strings.Contains(s, "\x00") && strings.Contains(s, "*"):
			return nil, fmt.Errorf("%w: a wildcard next to a placeholder in %q would let the value match other names", errPattern, src)
		case strings.Contains(s, "\x00"):
			// Checked after substitution.
		case !strings.Contains(s, "*"):
			if !isComponent(s) {
				lints = append(lints, fmt.Sprintf("segment %q of %q is not a valid repository name component, so it never matches", s, src))
			}
		default:
			lit := strings.ReplaceAll(s, "*", "")
			if lit != strings.ToLower(lit) || strings.HasPrefix(s, ".") || strings.HasPrefix(s, "-") || strings.HasPrefix(s, "_") ||
				strings.HasSuffix(s, ".") || strings.HasSuffix(s, "-") || strings.HasSuffix(s, "_") {
				lints = append(lints, fmt.Sprintf("segment %q of %q can never match a valid repository name component", s, src))
			}
		}
	}
	return lints, nil
}

// parsePlaceholder parses the text between ${ and }: a source and the
// filters lower and path.
func parsePlaceholder(in string) (*placeholder, error) {
	parts := strings.Split(in, "|")
	ph := &placeholder{src: "${" + in + "}"}
	switch name := parts[0]; {
	case name == phUsername || name == phSubject || name == phProvider || name == phGroup:
		ph.source = name
	case strings.HasPrefix(name, phClaims) && len(name) > len(phClaims):
		ph.source = phClaims
		ph.claim = name[len(phClaims):]
	default:
		return nil, fmt.Errorf("%w: unknown placeholder %q (want username, subject, provider, group or claims.NAME)", errPattern, ph.src)
	}
	for _, f := range parts[1:] {
		switch f {
		case "lower":
			ph.lower = true
		case "path":
			ph.path = true
		default:
			return nil, fmt.Errorf("%w: unknown filter %q in %s (want lower or path)", errPattern, f, ph.src)
		}
	}
	return ph, nil
}
