package authority

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/regbridge/regbridge/providers/internal/jwks"
	"github.com/regbridge/regbridge/providers/upstream"
)

// Validate reports every problem of the configuration, each naming its
// YAML key. It does no I/O.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf("authority: "+format, a...)) }
	c.validateIssuer(add)
	c.validateKeys(add)
	c.validateIntrospection(add)
	c.validateTokenShape(add)
	c.validateDPoP(add)
	c.validateMTLS(add)
	c.validateDurations(add)
	return errors.Join(errs...)
}

// validateIssuer checks issuer, audiences and the validation mode.
func (c Config) validateIssuer(add func(string, ...any)) {
	if c.Issuer == "" {
		add("issuer: required")
	} else if _, err := upstream.CheckURL(c.Issuer, c.AllowInsecureHTTP); err != nil {
		add("issuer: %v", err)
	}
	if len(c.Audiences) == 0 {
		add("audiences: at least one audience is required")
	}
	for i, a := range c.Audiences {
		if strings.TrimSpace(a) == "" || a != strings.TrimSpace(a) {
			add("audiences[%d]: empty or padded audience", i)
		}
	}
	if !slices.Contains([]string{ValidationJWT, ValidationIntrospection, ValidationBoth}, c.validation()) {
		add("validation: %q is not jwt, introspection or both", c.Validation)
	}
}

// validateTokenShape checks what the tokens must carry: types, scope claim,
// required scopes, claims path.
func (c Config) validateTokenShape(add func(string, ...any)) {
	for i, t := range c.AccessTokenTypes {
		if strings.TrimSpace(t) == "" {
			add("access_token_types[%d]: empty", i)
		}
	}
	if !slices.Contains([]string{"scope", "scp", "both"}, c.scopeClaim()) {
		add("scope_claim: %q is not scope, scp or both", c.ScopeClaim)
	}
	for i, s := range c.RequiredScopes {
		if s == "" || strings.ContainsAny(s, " \t\n") {
			add("required_scopes[%d]: %q is not a single scope token", i, s)
		}
	}
	if strings.ContainsAny(c.ClaimsPath, ". /") {
		add("claims_path: %q must be a single claim name", c.ClaimsPath)
	}
}

// validateDPoP checks sender_constraint and the dpop settings.
func (c Config) validateDPoP(add func(string, ...any)) {
	if !slices.Contains([]string{ConstraintDPoP, ConstraintMTLS, ConstraintAny, ConstraintNone}, c.constraint()) {
		add("sender_constraint: %q is not dpop, mtls, any or none", c.SenderConstraint)
	}
	for _, a := range c.DPoP.Algorithms {
		if !slices.Contains(jwks.SupportedAlgorithms, a) {
			add("dpop.algorithms: %q is not an asymmetric JWS algorithm", a)
		}
	}
	if c.DPoP.IATWindow < 0 || c.DPoP.IATWindow > maxIATWindow {
		add("dpop.iat_window: must be between 0 and %s", maxIATWindow)
	}
	if c.DPoP.IATFuture < 0 || c.DPoP.IATFuture > time.Minute {
		add("dpop.iat_future: must be between 0 and 1m")
	}
	if c.DPoP.NonceTTL < 0 {
		add("dpop.nonce_ttl: must not be negative")
	}
	if c.DPoP.NonceSecretFile != "" && !c.DPoP.Nonce {
		add("dpop.nonce_secret_file: set without dpop.nonce")
	}
}

// validateMTLS checks the proxy settings of mutual TLS.
func (c Config) validateMTLS(add func(string, ...any)) {
	for i, p := range c.MTLS.TrustedProxies {
		if _, err := netip.ParsePrefix(p); err != nil {
			add("mtls.trusted_proxies[%d]: %v", i, err)
		}
	}
	if (c.MTLS.ClientCertHeader == "") != (len(c.MTLS.TrustedProxies) == 0) {
		add("mtls: client_cert_header and trusted_proxies must be set together")
	}
}

// validateDurations checks skew and that no duration is negative, in a
// fixed order.
func (c Config) validateDurations(add func(string, ...any)) {
	if c.Skew < 0 || c.Skew > maxSkew {
		add("skew: must be between 0 and %s", maxSkew)
	}
	for _, d := range []struct {
		name string
		d    time.Duration
	}{{"max_token_age", c.MaxTokenAge}, {"cache_ttl", c.CacheTTL}, {"jwks_refresh_cooldown", c.JWKSRefreshCooldown}, {"timeout", c.Timeout}} {
		if d.d < 0 {
			add("%s: must not be negative", d.name)
		}
	}
}

func (c Config) validateKeys(add func(string, ...any)) {
	for _, err := range c.Keys.Check(c.AllowInsecureHTTP) {
		add("%v", err)
	}
	sources := 0
	for _, set := range []bool{c.JWKSURI != "", c.JWKS != "", c.Discovery} {
		if set {
			sources++
		}
	}
	switch {
	case c.usesJWT() && sources != 1:
		add("jwks_uri, jwks, discovery: exactly one key source is required for validation %q", c.validation())
	case !c.usesJWT() && sources != 0:
		add("jwks_uri, jwks, discovery: not used with validation introspection")
	}
}

func (c Config) validateIntrospection(add func(string, ...any)) {
	if !c.usesIntrospection() {
		if c.IntrospectionURL != "" {
			add("introspection_url: set but validation is jwt")
		}
		if c.IntrospectionAudience != "" || c.IntrospectionIssuer != "" {
			add("introspection_audience, introspection_issuer: set but validation is jwt")
		}
		return
	}
	if c.IntrospectionURL == "" {
		add("introspection_url: required for validation %q", c.validation())
	} else if _, err := upstream.CheckURL(c.IntrospectionURL, c.AllowInsecureHTTP); err != nil {
		add("introspection_url: %v", err)
	}
	for key, v := range map[string]string{"introspection_audience": c.IntrospectionAudience, "introspection_issuer": c.IntrospectionIssuer} {
		if v != "" && v != ClaimRequired && v != ClaimIfPresent {
			add("%s: %q is not %s or %s", key, v, ClaimRequired, ClaimIfPresent)
		}
	}
	switch c.clientAuth() {
	case AuthClientSecretBasic:
		if c.ClientID == "" {
			add("client_id: required for client_secret_basic")
		}
		if (c.ClientSecret == "") == (c.ClientSecretFile == "") {
			add("client_secret, client_secret_file: exactly one is required for client_secret_basic")
		}
	case AuthPrivateKeyJWT:
		if c.ClientID == "" {
			add("client_id: required for private_key_jwt")
		}
		if c.PrivateKeyFile == "" {
			add("private_key_file: required for private_key_jwt")
		}
	case AuthNone:
	default:
		add("client_auth: %q is not client_secret_basic, private_key_jwt or none", c.ClientAuth)
	}
}
