package acl

import (
	"slices"

	"github.com/regbridge/regbridge/providers"
)

// Lint codes a rule may list in allow_lint. Structural problems (unknown
// keys, duplicate ids, unknown providers or services, invalid patterns) are
// always errors: a typo must never silently change what a rule means.
const (
	// LintNeverMatches: the rule (or one of its items) can never apply.
	LintNeverMatches = "never-matches"
	// LintRegexEmpty: a regex matches the empty string.
	LintRegexEmpty = "regex-empty"
	// LintUnknownClaim: a placeholder or condition names a claim that the
	// providers the rule applies to cannot supply.
	LintUnknownClaim = "unknown-claim"
	// LintSharedIssuerUnpinned: an allow rule for a shared issuer (GitHub
	// Actions, gitlab.com, Buildkite) pins no immutable tenant id.
	LintSharedIssuerUnpinned = "shared-issuer-unpinned"
	// LintCIPushUntriggered: push or delete for a CI issuer without a
	// condition on what triggered the job.
	LintCIPushUntriggered = "ci-push-untriggered"
	// LintAnyonePush: push or delete on a pattern that starts with a
	// wildcard, granted to anyone.
	LintAnyonePush = "anyone-push"
)

var lintCodes = []string{LintNeverMatches, LintRegexEmpty, LintUnknownClaim, LintSharedIssuerUnpinned, LintCIPushUntriggered, LintAnyonePush}

// lint reports a finding unless the rule allows it.
func (pr *parser) lint(r *rule, line int, code, fix, format string, args ...any) {
	if slices.Contains(r.allowLint, code) {
		return
	}
	pr.ps.add(line, code, fix+" (or list it in allow_lint)", format, args...)
}

// lint runs the rule-level lints.
func lint(rules []*rule, pr *parser) {
	for _, r := range rules {
		lintRule(r, pr)
	}
}

func lintRule(r *rule, pr *parser) {
	if r.services != nil && len(r.services) == 0 {
		pr.lint(r, r.line, LintNeverMatches, "list a service or remove services:", "rule %q: services: [] matches no service", r.id)
	}
	if r.providers != nil && len(r.providers) == 0 {
		pr.lint(r, r.line, LintNeverMatches, "list a provider id", "rule %q: who: [] matches nobody", r.id)
	}
	var grantsWrite bool
	for _, e := range r.entries {
		if e.actions&(bitPush|bitDelete) != 0 {
			grantsWrite = true
		}
		if !r.deny && r.anyone && e.repo != nil && e.repo.broad() && e.actions&(bitPush|bitDelete) != 0 {
			pr.lint(r, e.line, LintAnyonePush, "grant push to authenticated users or name a narrower prefix", "rule %q: anyone may push or delete on %q", r.id, e.repo.src)
		}
	}
	facts := pr.opts.Providers
	if facts == nil {
		return
	}
	scope := r.providers
	if r.anyone || r.authed {
		scope = sortedKeys(facts)
	}
	// Claims that the rule reads.
	claims := map[string]int{}
	collectClaims(r.when, claims)
	for _, e := range r.entries {
		if e.repo == nil {
			continue
		}
		for _, ph := range e.repo.placeholders() {
			if ph.source == phClaims {
				if _, ok := claims[ph.claim]; !ok {
					claims[ph.claim] = e.line
				}
			}
		}
	}
	for _, name := range sortedKeys(claims) {
		supplied, lacking := 0, ""
		for _, pid := range scope {
			f, ok := facts[pid]
			if !ok {
				continue
			}
			if f.Claims == nil || slices.Contains(f.Claims, name) {
				supplied++
			} else if lacking == "" {
				lacking = pid
			}
		}
		switch {
		case r.deny && lacking != "":
			pr.lint(r, claims[name], LintUnknownClaim, "limit who: to providers that carry the claim", "rule %q: provider %q never supplies claim %q, so this deny rule always applies to it", r.id, lacking, name)
		case !r.deny && supplied == 0 && len(scope) > 0:
			pr.lint(r, claims[name], LintUnknownClaim, "check the claim name against the provider's documentation", "rule %q: no provider in who supplies claim %q", r.id, name)
		}
	}
	if r.deny || r.anyone {
		return
	}
	for _, pid := range scope {
		f, ok := facts[pid]
		if !ok {
			continue
		}
		if f.SharedIssuer && !pins(r.when, f.ImmutableClaims, true) {
			pr.lint(r, r.line, LintSharedIssuerUnpinned, pinFix(f.ImmutableClaims, r.authed),
				"rule %q: provider %q is a shared issuer (%s) and the rule pins none of its immutable ids %v", r.id, pid, presetName(f), f.ImmutableClaims)
		}
		if f.CI && grantsWrite && !pins(r.when, f.TriggerClaims, false) {
			pr.lint(r, r.line, LintCIPushUntriggered, "add a condition on one of "+quoteList(f.TriggerClaims)+", e.g. event_name: {in: [push]}",
				"rule %q: grants push or delete to CI provider %q without a condition on what started the job", r.id, pid)
		}
	}
}

func presetName(f providers.PolicyFacts) string {
	if f.Preset != "" {
		return f.Preset
	}
	return f.Type
}

func pinFix(claims []string, authed bool) string {
	fix := "add a condition such as claims: {" + firstOr(claims, "owner_id") + ": \"1234567\"}"
	if authed {
		fix = "list provider ids in who: instead of authenticated, or " + fix
	}
	return fix
}

func firstOr(l []string, d string) string {
	if len(l) > 0 {
		return l[0]
	}
	return d
}

// collectClaims records every claim name a condition block reads.
func collectClaims(c *cond, into map[string]int) {
	if c == nil {
		return
	}
	for _, f := range c.fields {
		if f.kind == "claim" {
			if _, ok := into[f.name]; !ok {
				into[f.name] = f.line
			}
		}
	}
	for _, s := range c.anyOf {
		collectClaims(s, into)
	}
	for _, s := range c.allOf {
		collectClaims(s, into)
	}
}

// pins reports whether the block always requires a condition on one of
// claims. With exact, only equals and in count (a tenant pin must be an exact
// id, not a pattern).
func pins(c *cond, claims []string, exact bool) bool {
	if c == nil {
		return false
	}
	for _, f := range c.fields {
		if f.kind != "claim" || !slices.Contains(claims, f.name) {
			continue
		}
		for _, o := range f.ops {
			if exact && (o.kind == opEquals || o.kind == opIn) {
				return true
			}
			if !exact && o.kind != opExists {
				return true
			}
		}
	}
	for _, s := range c.allOf {
		if pins(s, claims, exact) {
			return true
		}
	}
	if len(c.anyOf) > 0 {
		for _, s := range c.anyOf {
			if !pins(s, claims, exact) {
				return false
			}
		}
		return true
	}
	return false
}
