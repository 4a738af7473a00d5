package acl

import (
	"fmt"
	"strings"

	"github.com/regbridge/regbridge/providers"
)

// Explanation says, per requested scope, which rules matched, which
// conditions failed and why, and the final access. It is computed with the
// same evaluation as Decide, over every rule rather than the index.
type Explanation struct {
	Service  string             `json:"service"`
	Identity string             `json:"identity"`
	Policy   string             `json:"policy"`
	Scopes   []ScopeExplanation `json:"scopes"`
	// Granted is the final access, as Decide returns it.
	Granted   []string   `json:"granted"`
	TTL       string     `json:"token_ttl,omitempty"`
	Rules     []string   `json:"rules"`
	Forbidden *Forbidden `json:"forbidden,omitempty"`
	Dropped   []string   `json:"dropped,omitempty"`
}

// ScopeExplanation is the story of one requested scope.
type ScopeExplanation struct {
	Requested string `json:"requested"`
	// Granted is the scope as granted, or "" when nothing was granted.
	Granted string            `json:"granted"`
	Rules   []RuleExplanation `json:"rules"`
	// Note explains a scope no pattern can match (a host:port prefix).
	Note string `json:"note,omitempty"`
}

// RuleExplanation is how one rule fared for one scope.
type RuleExplanation struct {
	Rule   string `json:"rule"`
	Effect string `json:"effect"`
	Line   int    `json:"line"`
	// Applies is true when who, services and when all held.
	Applies bool `json:"applies"`
	// Matched is true when an item of the rule matched the resource.
	Matched bool `json:"matched"`
	// Actions are what the rule grants (or denies) on the resource.
	Actions []string `json:"actions,omitempty"`
	// Failed lists why the rule did not apply or did not match.
	Failed []string `json:"failed,omitempty"`
}

// Explain evaluates every rule for every requested scope and records why
// each did or did not apply.
func (p *Policy) Explain(id providers.Identity, service string, req []Scope) Explanation {
	ex := Explanation{Service: service, Identity: describeIdentity(&id), Policy: p.source}
	capBits := capMask(id.MaxActions)
	var contrib, forb []*rule
	var d Decision
	for _, sc := range req {
		se := ScopeExplanation{Requested: sc.String()}
		catalog := sc.Type == "registry"
		var segs []string
		if !catalog {
			if segs = nameSegments(sc.Name); segs == nil {
				se.Note = "the name has a segment that is not a plain repository component (a host:port prefix?), so no pattern matches it"
			}
		}
		var hits []hit
		for _, r := range p.rules {
			re := RuleExplanation{Rule: r.id, Effect: "allow", Line: r.line}
			if r.deny {
				re.Effect = "deny"
			}
			re.Applies = ruleApplies(r, &id, service, &re.Failed)
			var bits uint8
			for _, e := range r.entries {
				if e.catalog != catalog {
					continue
				}
				ok := catalog
				if !catalog && segs != nil {
					ok = e.matches(&id, segs, func(reason string) {
						re.Failed = append(re.Failed, "dropped "+reason)
						if re.Applies {
							d.Dropped = append(d.Dropped, r.id+": "+reason)
						}
					})
				}
				if ok {
					re.Matched = true
					mask := bitAll
					if !catalog {
						mask = e.forgeMask(&id, sc.Name)
						if note := forgeNote(e, &id, sc.Name); note != "" {
							re.Failed = append(re.Failed, note)
						}
					}
					bits |= e.actions & mask
					if re.Applies {
						hits = append(hits, hit{e, mask})
					}
				}
			}
			if re.Matched {
				re.Actions = bitsActions(bits)
			} else {
				re.Failed = append(re.Failed, "no "+itemKind(r)+" item matches "+sc.Name+" (items: "+strings.Join(itemList(r), ", ")+")")
			}
			se.Rules = append(se.Rules, re)
		}
		var granted uint8
		granted, contrib, forb = evalScope(sc, hits, capBits, contrib, forb)
		if granted != 0 {
			g := Scope{Type: sc.Type, Name: sc.Name, Actions: bitsActions(granted)}
			d.Granted = append(d.Granted, g)
			se.Granted = g.String()
		}
		ex.Scopes = append(ex.Scopes, se)
	}
	d.finish(contrib, forb, len(req))
	for _, g := range d.Granted {
		ex.Granted = append(ex.Granted, g.String())
	}
	if d.TTL > 0 {
		ex.TTL = d.TTL.String()
	}
	ex.Rules, ex.Forbidden, ex.Dropped = d.Rules, d.Forbidden, d.Dropped
	return ex
}

func itemKind(r *rule) string {
	if r.deny {
		return "deny"
	}
	return "grant"
}

func itemList(r *rule) []string {
	var out []string
	for _, e := range r.entries {
		if e.catalog {
			out = append(out, "registry:catalog")
		} else {
			out = append(out, e.repo.src)
		}
	}
	return out
}

func describeIdentity(id *providers.Identity) string {
	if id.Anonymous {
		return "anonymous"
	}
	parts := []string{"provider=" + id.Provider}
	if id.Username != "" {
		parts = append(parts, "username="+id.Username)
	}
	if id.Subject != "" {
		parts = append(parts, "subject="+id.Subject)
	}
	if len(id.Groups) > 0 {
		parts = append(parts, "groups="+strings.Join(id.Groups, ","))
	}
	if len(id.Grants) > 0 {
		parts = append(parts, "grants="+strings.Join(id.Grants, ","))
	}
	if len(id.Claims) > 0 {
		parts = append(parts, fmt.Sprintf("claims=%d", len(id.Claims)))
	}
	if id.MaxActions != nil {
		parts = append(parts, "max_actions="+strings.Join(id.MaxActions, ","))
	}
	return strings.Join(parts, " ")
}

// String renders the explanation for people. Rules that do not concern the
// identity (another provider, another service) are counted, not listed.
func (ex Explanation) String() string {
	var b strings.Builder
	src := ex.Policy
	if src == "" {
		src = "(built-in quick-start policy)"
	}
	fmt.Fprintf(&b, "policy %s, service %q, identity %s\n", src, ex.Service, ex.Identity)
	for _, se := range ex.Scopes {
		fmt.Fprintf(&b, "\n%s\n", se.Requested)
		if se.Note != "" {
			fmt.Fprintf(&b, "  note: %s\n", se.Note)
		}
		skipped := 0
		for _, re := range se.Rules {
			if !re.Applies && len(re.Failed) > 0 && (strings.HasPrefix(re.Failed[0], "who: ") || strings.HasPrefix(re.Failed[0], "services: ")) {
				skipped++
				continue
			}
			mark := "-"
			switch {
			case re.Applies && re.Matched && re.Effect == "deny":
				mark = "DENY"
			case re.Applies && re.Matched:
				mark = "ALLOW"
			}
			fmt.Fprintf(&b, "  %-5s %s rule %q (line %d)", mark, re.Effect, re.Rule, re.Line)
			if re.Matched && re.Applies {
				fmt.Fprintf(&b, ": %s", strings.Join(re.Actions, ","))
			}
			b.WriteString("\n")
			for _, f := range re.Failed {
				fmt.Fprintf(&b, "          %s\n", f)
			}
		}
		if skipped > 0 {
			fmt.Fprintf(&b, "  (%d rules for other providers or services not shown)\n", skipped)
		}
		if se.Granted == "" {
			b.WriteString("  => no access\n")
		} else {
			fmt.Fprintf(&b, "  => %s\n", se.Granted)
		}
	}
	b.WriteString("\nresult: ")
	switch {
	case ex.Forbidden != nil:
		fmt.Fprintf(&b, "403 forbidden by rule %q: %s\n", ex.Forbidden.Rule, ex.Forbidden.Reason)
	case len(ex.Granted) == 0:
		b.WriteString("token with no access (the registry will answer insufficient_scope)\n")
	default:
		fmt.Fprintf(&b, "token granting %s\n", strings.Join(ex.Granted, " "))
	}
	if ex.TTL != "" {
		fmt.Fprintf(&b, "token_ttl: %s (capped by the service maximum and the credential's expiry)\n", ex.TTL)
	}
	if len(ex.Rules) > 0 {
		fmt.Fprintf(&b, "contributing rules: %s\n", strings.Join(ex.Rules, ", "))
	}
	for _, dr := range ex.Dropped {
		fmt.Fprintf(&b, "dropped grant: %s\n", dr)
	}
	return b.String()
}
