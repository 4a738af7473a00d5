package oidc

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"strings"

	"github.com/regbridge/regbridge/providers"
)

// maxGroups bounds the groups taken from a token.
const maxGroups = 1024

// mapping names the claims that become the identity's fields.
type mapping struct {
	subjectClaim  string
	usernameClaim string
	groupsClaim   string
}

// identity maps verified claims to an identity: a pure function over plain
// data. Required claims must be present with their type; the subject is the
// preset's immutable id; the claims the policy sees gain the normalized
// ClaimUntrustedTrigger (and, for Kubernetes, flattened object members).
// Claims a token sends under the reserved "regbridge:" prefix are dropped.
func (p preset) identity(claims map[string]any, m mapping) (providers.Identity, error) {
	for _, rc := range p.required {
		if err := checkRequired(claims, rc); err != nil {
			return providers.Identity{}, invalid("%s: %v", p.name, err)
		}
	}
	out := make(map[string]any, len(claims)+4)
	for k, v := range claims {
		if !strings.HasPrefix(k, "regbridge:") {
			out[k] = v
		}
	}
	if p.derived != nil {
		maps.Copy(out, p.derived(claims))
	}
	out[ClaimUntrustedTrigger] = p.untrusted(claims)

	subjectClaims := p.subjectClaims
	if m.subjectClaim != "" {
		subjectClaims = []string{m.subjectClaim}
	}
	var subject string
	for _, name := range subjectClaims {
		if s, ok := idString(out[name]); ok {
			subject = s
			break
		}
	}
	if subject == "" {
		return providers.Identity{}, invalid("%s: no subject in claims %q", p.name, subjectClaims)
	}
	id := providers.Identity{Subject: subject, Username: subject, Claims: out}

	usernameClaim := p.usernameClaim
	if m.usernameClaim != "" {
		usernameClaim = m.usernameClaim
	}
	if u, ok := out[usernameClaim].(string); ok && u != "" {
		id.Username = u
	}

	groupsClaim := p.groupsClaim
	if m.groupsClaim != "" {
		groupsClaim = m.groupsClaim
	}
	if groupsClaim != "" {
		groups, err := stringList(out[groupsClaim])
		if err != nil {
			return providers.Identity{}, invalid("%s: claim %q: %v", p.name, groupsClaim, err)
		}
		id.Groups = groups
	}
	return id, nil
}

func checkRequired(c map[string]any, rc requiredClaim) error {
	v, present := c[rc.name]
	if !present {
		return fmt.Errorf("required claim %q missing", rc.name)
	}
	ok := false
	switch rc.kind {
	case kindString:
		s, isString := v.(string)
		ok = isString && s != ""
	case kindID:
		_, ok = idString(v)
	case kindObject:
		_, ok = v.(map[string]any)
	}
	if !ok {
		return fmt.Errorf("required claim %q has the wrong type", rc.name)
	}
	return nil
}

// idString renders an identifier claim: a non-empty string as is, or an
// integral JSON number in canonical decimal. Anything else (fractions, bools,
// arrays) is not an id.
func idString(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, t != ""
	case json.Number:
		i, ok := new(big.Int).SetString(string(t), 10)
		if !ok || i.Sign() < 0 {
			return "", false
		}
		return i.String(), true
	}
	return "", false
}

// stringList reads an array of strings; absence is an empty list.
func stringList(v any) ([]string, error) {
	if v == nil {
		return nil, nil
	}
	a, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("not an array of strings")
	}
	if len(a) > maxGroups {
		return nil, fmt.Errorf("more than %d entries", maxGroups)
	}
	out := make([]string, 0, len(a))
	for _, e := range a {
		s, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("not an array of strings")
		}
		out = append(out, s)
	}
	return out, nil
}
