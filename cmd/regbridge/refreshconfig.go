package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/regbridge/regbridge/bridge"
	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/oidc"
)

// refreshTTLs are the default refresh_ttl of each OIDC preset: the longest
// job the CI runs by default, so that a job that logs in once can push until
// it ends.
var refreshTTLs = map[string]time.Duration{
	oidc.PresetGitHubActions:  6 * time.Hour, // GitHub-hosted jobs run at most 6 h
	oidc.PresetGitLabCI:       time.Hour,     // GitLab's default job timeout
	oidc.PresetForgejoActions: 3 * time.Hour, // act_runner's default job timeout
	oidc.PresetBuildkite:      time.Hour,
	oidc.PresetCircleCI:       5 * time.Hour, // CircleCI cloud's job limit
	oidc.PresetKubernetes:     time.Hour,     // a projected token's default life
	oidc.PresetGeneric:        time.Hour,
}

// credentialRefreshTTL is the default refresh_ttl of providers whose
// credential is checked again on every redemption.
const credentialRefreshTTL = 6 * time.Hour

// refreshPolicies reads the `refresh:` member of each provider entry. It is
// off unless `enabled: true`. OIDC providers keep the verified identity
// (their ID tokens cannot be checked again once expired); static, sourcehut
// and forge providers keep the credential, sealed in the token, and check it
// again on every redemption. Authority providers issue none: their tokens
// may be bound to a client key (DPoP, mTLS) that a refresh token would not
// carry, and their clients can get a new access token themselves.
func refreshPolicies(cfg *Config, regs []*bridge.Registered, facts map[string]providers.PolicyFacts) (map[string]bridge.RefreshPolicy, error) {
	byID := map[string]*bridge.Registered{}
	for _, r := range regs {
		byID[r.ID] = r
	}
	out := map[string]bridge.RefreshPolicy{}
	var p []string
	for i := range cfg.Providers {
		node := &cfg.Providers[i]
		rn := mapValue(node, "refresh")
		id := mapValue(node, "id")
		if rn == nil || id == nil {
			continue
		}
		where := fmt.Sprintf("%s:%d: providers[%d] (%s): refresh", cfg.file, rn.Line, i, id.Value)
		var pol bridge.RefreshPolicy
		if err := decodeStrict(cfg.file, rn, &pol); err != nil {
			var ce *configError
			if errors.As(err, &ce) {
				p = append(p, ce.problems...)
			} else {
				p = append(p, fmt.Sprintf("%s: %v", where, err))
			}
			continue
		}
		if !pol.Enabled {
			continue
		}
		reg, ok := byID[id.Value]
		if !ok {
			continue
		}
		fact := facts[id.Value]
		var ttl time.Duration
		switch fact.Type {
		case "oidc":
			pol.Mode, ttl = bridge.RefreshIdentity, refreshTTLs[fact.Preset]
		case "authority":
			p = append(p, where+": authority providers issue no refresh tokens (their access tokens may be bound to a client key, and their clients get new ones from the authorization server)")
			continue
		default:
			if _, bound := reg.Provider.(providers.BindingChecker); bound {
				p = append(p, where+": this provider binds its credentials to the client; a refresh token cannot carry that binding")
				continue
			}
			pol.Mode, ttl = bridge.RefreshCredential, credentialRefreshTTL
		}
		pol = pol.WithDefaults(ttl)
		if err := pol.Validate(); err != nil {
			p = append(p, fmt.Sprintf("%s: %s", where, indent(err)))
			continue
		}
		out[id.Value] = pol
	}
	if len(p) > 0 {
		return nil, &configError{problems: p}
	}
	return out, nil
}
