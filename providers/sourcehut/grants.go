package sourcehut

import (
	"errors"
	"fmt"
	"strings"
)

// Access is the access part of a grant.
type Access string

const (
	// AccessRO allows reading (pull). An absent access part means RO.
	AccessRO Access = "RO"
	// AccessRW allows reading and writing (pull and push).
	AccessRW Access = "RW"
)

// RegistryScope is the scope a grant must name to reach the registry:
// `<registry_domain>/REGISTRY[:RO|:RW]`.
const RegistryScope = "REGISTRY"

// Grant is one element of a grant string: `service/scope[:access]`.
type Grant struct {
	// Raw is the element as written in the token.
	Raw     string
	Service string
	Scope   string
	// Access is RO (also when the element has no access part) or RW.
	Access Access
}

// errGrants is wrapped by every grant parsing error.
var errGrants = errors.New("malformed grants")

// ParseGrants parses a non-empty grant string strictly: elements separated
// by single spaces, none empty; exactly one "/" per element; a service of
// visible ASCII (a host, optionally with :port); a scope of letters, digits
// and "_"; at most one ":" after the "/", followed by exactly RO or RW. Any
// malformed element rejects the whole string. The empty string (all
// permissions) is not a list of grants and is refused here; callers decide
// about it before parsing.
func ParseGrants(s string) ([]Grant, error) {
	if s == "" {
		return nil, fmt.Errorf("%w: empty", errGrants)
	}
	elems := strings.Split(s, " ")
	out := make([]Grant, 0, len(elems))
	for i, e := range elems {
		g, err := parseGrant(e)
		if err != nil {
			return nil, fmt.Errorf("%w: element %d: %v", errGrants, i+1, err)
		}
		out = append(out, g)
	}
	return out, nil
}

func parseGrant(e string) (Grant, error) {
	if e == "" {
		return Grant{}, errors.New("empty (double, leading or trailing space)")
	}
	if strings.Count(e, "/") != 1 {
		return Grant{}, errors.New(`want exactly one "/"`)
	}
	service, rest, _ := strings.Cut(e, "/")
	if service == "" {
		return Grant{}, errors.New("empty service")
	}
	for i := 0; i < len(service); i++ {
		if c := service[i]; c <= ' ' || c > '~' {
			return Grant{}, fmt.Errorf("service has byte 0x%02x", c)
		}
	}
	if strings.Count(rest, ":") > 1 {
		return Grant{}, errors.New(`more than one ":" after "/"`)
	}
	scope, access, hasAccess := strings.Cut(rest, ":")
	if scope == "" {
		return Grant{}, errors.New("empty scope")
	}
	for _, c := range scope {
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return Grant{}, fmt.Errorf("scope has %q", c)
		}
	}
	g := Grant{Raw: e, Service: service, Scope: scope, Access: AccessRO}
	if hasAccess {
		switch Access(access) {
		case AccessRO, AccessRW:
			g.Access = Access(access)
		default:
			return Grant{}, fmt.Errorf("access %q is neither RO nor RW", access)
		}
	}
	return g, nil
}

// registryAccess returns the registry grants among gs for domain (compared
// exactly, case-sensitively, port included), and the highest access they
// give. ok is false when there is none.
func registryAccess(gs []Grant, domain string) (matched []string, access Access, ok bool) {
	for _, g := range gs {
		if g.Service != domain || g.Scope != RegistryScope {
			continue
		}
		matched = append(matched, g.Raw)
		if !ok || g.Access == AccessRW {
			access = g.Access
		}
		ok = true
	}
	return matched, access, ok
}
