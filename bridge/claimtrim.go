package bridge

import (
	"slices"
	"strings"

	"github.com/regbridge/regbridge/acl"
	"github.com/regbridge/regbridge/providers"
)

// claimKeep is the set of claims a state can read from one provider's
// identities: the policy's (acl.Policy.ClaimNames) and the provider's own
// (providers.ClaimKeeper). A cached identity keeps only these; the rest of
// a token's claims (a GitHub Actions token carries some thirty) would cost
// memory in every cache entry and decide nothing.
//
// The cache outlives policy reloads, so an entry records the set it was
// trimmed to, and a state whose set is not covered by it treats the entry
// as a miss: a reload that starts reading a new claim never sees an
// identity trimmed without it.
type claimKeep struct {
	names []string // sorted
	// id names the set, for the singleflight key.
	id string
}

// newClaimKeep is the set for provider p under policy pol.
func newClaimKeep(pol *acl.Policy, p providers.Provider) *claimKeep {
	var names []string
	if pol != nil {
		names = append(names, pol.ClaimNames()...)
	}
	if k, ok := p.(providers.ClaimKeeper); ok {
		names = append(names, k.KeptClaims()...)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	return &claimKeep{names: names, id: strings.Join(names, "\x00")}
}

// trim returns id with only the kept claims, in a map of its own.
func (k *claimKeep) trim(id providers.Identity) providers.Identity {
	if k == nil || id.Claims == nil {
		return id
	}
	kept := 0
	for _, n := range k.names {
		if _, ok := id.Claims[n]; ok {
			kept++
		}
	}
	if kept == len(id.Claims) {
		return id
	}
	var out map[string]any
	if kept > 0 {
		out = make(map[string]any, kept)
		for _, n := range k.names {
			if v, ok := id.Claims[n]; ok {
				out[n] = v
			}
		}
	}
	id.Claims = out
	return id
}

// coveredBy reports whether an identity trimmed to kept still holds every
// claim k needs. nil (untrimmed) covers everything.
func (k *claimKeep) coveredBy(kept *claimKeep) bool {
	if kept == nil || k == kept {
		return true
	}
	if k == nil {
		return false
	}
	for _, n := range k.names {
		if _, ok := slices.BinarySearch(kept.names, n); !ok {
			return false
		}
	}
	return true
}

// flightKey is the singleflight key of a cache miss: callers that trim to
// different sets do not share one answer.
func (k *claimKeep) flightKey(key [32]byte) string {
	if k == nil {
		return string(key[:])
	}
	return string(key[:]) + "\x00" + k.id
}
