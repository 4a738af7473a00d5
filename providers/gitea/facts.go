package gitea

import (
	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/internal/forgeapi"
)

// Claims set on every identity besides the ones every forge adapter sets
// (forgeapi.ClaimLogin, forgeapi.ClaimID, forgeapi.ClaimEmail, forgeapi.ClaimEmailVerified,
// forgeapi.ClaimIsAdmin).
const (
	ClaimRestricted    = "restricted"
	ClaimVisibility    = "visibility"
	ClaimActive        = "active"
	ClaimProhibitLogin = "prohibit_login"
	// ClaimCredential is "token", or "password" for an account password
	// accepted with allow_passwords.
	ClaimCredential = "credential"
)

// PolicyFacts describes the identities this provider returns.
func (p *Provider) PolicyFacts() providers.PolicyFacts {
	return providers.PolicyFacts{
		Type: p.typ,
		Claims: []string{forgeapi.ClaimLogin, forgeapi.ClaimID, forgeapi.ClaimEmail, forgeapi.ClaimEmailVerified, forgeapi.ClaimIsAdmin, ClaimRestricted,
			ClaimVisibility, ClaimActive, ClaimProhibitLogin, ClaimCredential},
		ImmutableClaims: []string{forgeapi.ClaimID},
		Forge:           true,
	}
}

// Route claims opaque Basic passwords under the configured usernames
// (default "*"). The username is only a routing hint.
func (p *Provider) Route() providers.Route {
	return forgeapi.Route(p.cfg.Usernames)
}
