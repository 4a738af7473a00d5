package acl

import (
	"slices"
	"sync"
	"time"

	"github.com/regbridge/regbridge/providers"
)

// Decision is the result of Decide.
type Decision struct {
	// Granted keeps the order of the request and holds only scopes with a
	// non-empty grant, actions sorted.
	Granted []Scope
	// TTL is the shortest token_ttl among contributing allow rules; 0 when
	// none set one (the bridge applies the service default and caps).
	TTL time.Duration
	// Rules are the ids of the rules that contributed (allow and deny),
	// sorted.
	Rules []string
	// Forbidden is non-nil when a deny rule with respond: forbidden applied
	// to the request and nothing was left to grant.
	Forbidden *Forbidden
	// Dropped lists grants dropped because a placeholder value was refused
	// ("rule-id: ${claims.x}: reason"), for the audit log.
	Dropped []string
}

// Forbidden names the deny rule that turns a request into a 403.
type Forbidden struct {
	Rule   string `json:"rule"`
	Reason string `json:"reason"`
}

// hit is an entry that matched a requested scope, with the actions the
// forge allows through it (every action for items that do not mirror a
// forge).
type hit struct {
	e    *entry
	mask uint8
}

// allowBits are the actions an allow hit grants.
func (h hit) allowBits() uint8 { return h.e.actions & h.mask }

// decideScratch is the working memory of one Decide call, pooled: without
// it every requested scope allocated its hit and rule lists anew.
type decideScratch struct {
	hits    []hit
	contrib []*rule
	forb    []*rule
}

var decidePool = sync.Pool{New: func() any { return new(decideScratch) }}

// maxPooledScratch bounds what a pooled scratch keeps between calls.
const maxPooledScratch = 256

func (ds *decideScratch) release() {
	if cap(ds.hits) > maxPooledScratch || cap(ds.contrib) > maxPooledScratch || cap(ds.forb) > maxPooledScratch {
		return
	}
	// Cleared, so that a pooled scratch keeps no rule of a replaced policy.
	clear(ds.hits)
	clear(ds.contrib)
	clear(ds.forb)
	ds.hits, ds.contrib, ds.forb = ds.hits[:0], ds.contrib[:0], ds.forb[:0]
	decidePool.Put(ds)
}

// Decide is pure: no I/O, no clock. Grants are sets: the union of every
// matching allow rule, minus every matching deny rule, intersected with what
// was asked and capped by id.MaxActions. Rule order never matters.
func (p *Policy) Decide(id providers.Identity, service string, req []Scope) Decision {
	var d Decision
	memo := map[*rule]bool{}
	applies := func(r *rule) bool {
		ok, seen := memo[r]
		if !seen {
			ok = ruleApplies(r, &id, service, nil)
			memo[r] = ok
		}
		return ok
	}
	capBits := capMask(id.MaxActions)
	ds := decidePool.Get().(*decideScratch)
	defer ds.release()
	for _, sc := range req {
		catalog := sc.Type == "registry"
		var segs []string
		if !catalog {
			if segs = nameSegments(sc.Name); segs == nil {
				continue
			}
		}
		ds.hits = ds.hits[:0]
		p.index.visit(&id, catalog, segs, func(e *entry) {
			if !applies(e.rule) {
				return
			}
			if catalog || e.matches(&id, segs, func(reason string) {
				d.Dropped = append(d.Dropped, e.rule.id+": "+reason)
			}) {
				ds.hits = append(ds.hits, hit{e, e.forgeMask(&id, sc.Name)})
			}
		})
		var granted uint8
		granted, ds.contrib, ds.forb = evalScope(sc, ds.hits, capBits, ds.contrib, ds.forb)
		if granted != 0 {
			if d.Granted == nil {
				d.Granted = make([]Scope, 0, len(req))
			}
			d.Granted = append(d.Granted, Scope{Type: sc.Type, Name: sc.Name, Actions: bitsActions(granted)})
		}
	}
	d.finish(ds.contrib, ds.forb, len(req))
	return d
}

// finish fills Rules, TTL and Forbidden from the contributing rules.
func (d *Decision) finish(contrib, forb []*rule, requested int) {
	if len(contrib) > 0 {
		d.Rules = make([]string, 0, len(contrib))
	}
	for _, r := range contrib {
		d.Rules = append(d.Rules, r.id)
		if !r.deny && r.ttl > 0 && (d.TTL == 0 || r.ttl < d.TTL) {
			d.TTL = r.ttl
		}
	}
	slices.Sort(d.Rules)
	d.Rules = slices.Compact(d.Rules)
	if len(d.Dropped) > 0 {
		slices.Sort(d.Dropped)
		d.Dropped = slices.Compact(d.Dropped)
	}
	if requested > 0 && len(d.Granted) == 0 && len(forb) > 0 {
		best := forb[0]
		for _, r := range forb[1:] {
			if r.id < best.id {
				best = r
			}
		}
		d.Forbidden = &Forbidden{Rule: best.id, Reason: best.reason}
	}
}

// ruleApplies checks who, services and when. why receives reasons.
func ruleApplies(r *rule, id *providers.Identity, service string, why *[]string) bool {
	if !whoMatches(r, id) {
		if why != nil {
			*why = append(*why, "who: "+whoMiss(r, id))
		}
		return false
	}
	if r.services != nil && !slices.Contains(r.services, service) {
		if why != nil {
			*why = append(*why, "services: "+quoteList([]string{service})+" is not in "+quoteList(r.services))
		}
		return false
	}
	if r.when != nil && !r.when.eval(id, r.deny, why) {
		return false
	}
	return true
}

func whoMatches(r *rule, id *providers.Identity) bool {
	switch {
	case r.anyone:
		return true
	case r.authed:
		return !id.Anonymous
	}
	return !id.Anonymous && slices.Contains(r.providers, id.Provider)
}

func whoMiss(r *rule, id *providers.Identity) string {
	if id.Anonymous {
		return "the request is anonymous"
	}
	return "provider " + quoteList([]string{id.Provider}) + " is not in " + quoteList(r.providers)
}

// matches reports whether the entry's pattern, after substitution, matches
// the name segments.
func (e *entry) matches(id *providers.Identity, segs []string, drop func(string)) bool {
	matched := false
	e.repo.expand(id, func(pat []string) {
		if !matched && matchSegs(pat, segs) {
			matched = true
		}
	}, drop)
	return matched
}

// evalScope combines the matched entries for one scope: it returns the
// granted actions, with the contributing rules appended to contrib and the
// forbidding deny rules to forb.
func evalScope(sc Scope, hits []hit, capBits uint8, contrib, forb []*rule) (uint8, []*rule, []*rule) {
	req := actionBits(sc.Actions)
	var allow, deny uint8
	for _, h := range hits {
		if h.e.rule.deny {
			deny |= denyBits(h.e.actions)
		} else {
			allow |= h.allowBits()
		}
	}
	granted := allow & req &^ deny & capBits
	if sc.Type == "registry" {
		// The registry accepts only the literal "*" for the catalog.
		granted &= bitStar
	} else {
		// Repository grants are emitted as explicit actions: a granted "*"
		// stands for pull, push and delete, and a request for "*" (skopeo
		// delete) gets exactly the actions it is entitled to.
		granted &^= bitStar
	}
	for _, h := range hits {
		r := h.e.rule
		switch {
		case !r.deny && h.allowBits()&granted != 0:
			contrib = append(contrib, r)
		case r.deny && denyBits(h.e.actions)&req != 0:
			contrib = append(contrib, r)
			if r.forbidden {
				forb = append(forb, r)
			}
		}
	}
	return granted, contrib, forb
}

// denyBits widens a deny: denying any action also removes "*", which would
// otherwise grant it again.
func denyBits(b uint8) uint8 {
	if b&(bitPull|bitPush|bitDelete) != 0 {
		b |= bitStar
	}
	return b
}

// actionBits maps requested actions to bits, ignoring unknown ones; "*"
// asks for everything.
func actionBits(actions []string) uint8 {
	var b uint8
	for _, a := range actions {
		bit, _ := actionBit(a)
		b |= bit
	}
	return b
}

// capMask turns Identity.MaxActions into a mask; nil caps nothing. "*" in
// the cap allows everything; otherwise the catalog's "*" is capped away.
func capMask(max []string) uint8 {
	if max == nil {
		return bitAll
	}
	return actionBits(max)
}

// bitsActions lists the actions of b in sorted order.
func bitsActions(b uint8) []string {
	return actionLists[b&bitAll]
}

// actionLists holds, for every set of action bits, its sorted action names
// (bitStar as the literal "*"). Scopes share these slices, so they are never
// written to; their capacity equals their length, so an append copies.
var actionLists = func() (t [bitAll + 1][]string) {
	for b := range t {
		var out []string
		for _, a := range [...]struct {
			bit  uint8
			name string
		}{{bitStar, ActionAll}, {bitDelete, ActionDelete}, {bitPull, ActionPull}, {bitPush, ActionPush}} {
			if uint8(b)&a.bit != 0 {
				out = append(out, a.name)
			}
		}
		t[b] = slices.Clip(out)
	}
	return t
}()
