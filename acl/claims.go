package acl

import "sort"

// ClaimNames returns, sorted, every claim name the policy can read: the
// claims of every rule's conditions and ${claims.*} placeholders. A
// decision, an explanation and a lint of this policy read no other claim,
// so an identity that keeps only these claims decides exactly as one that
// keeps them all.
func (p *Policy) ClaimNames() []string {
	set := map[string]int{}
	for _, r := range p.rules {
		collectClaims(r.when, set)
		for _, e := range r.entries {
			if e.repo == nil {
				continue
			}
			for _, ph := range e.repo.placeholders() {
				if ph.source == phClaims {
					set[ph.claim] = 0
				}
			}
		}
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
