package gitlab

import (
	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/internal/forgeapi"
)

// Claims set on every identity besides the ones every forge adapter sets
// (forgeapi.ClaimLogin, forgeapi.ClaimID, forgeapi.ClaimEmail, forgeapi.ClaimEmailVerified,
// forgeapi.ClaimIsAdmin).
const (
	ClaimState            = "state"
	ClaimBot              = "bot"
	ClaimExternal         = "external"
	ClaimTwoFactorEnabled = "two_factor_enabled"
	// ClaimTokenKind is "personal_access_token" or "oauth".
	ClaimTokenKind = "token_kind"
)

// PolicyFacts describes the identities this provider returns.
func (p *Provider) PolicyFacts() providers.PolicyFacts {
	return providers.PolicyFacts{
		Type:            "gitlab",
		Claims:          []string{forgeapi.ClaimLogin, forgeapi.ClaimID, forgeapi.ClaimEmail, forgeapi.ClaimEmailVerified, forgeapi.ClaimIsAdmin, ClaimState, ClaimBot, ClaimExternal, ClaimTwoFactorEnabled, ClaimTokenKind},
		ImmutableClaims: []string{forgeapi.ClaimID},
		Forge:           true,
	}
}

// Route claims opaque Basic passwords under the configured usernames
// (default "*"). The username never chooses the identity.
func (p *Provider) Route() providers.Route {
	return forgeapi.Route(p.cfg.Usernames)
}
