package authority

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/authority/dpop"
	"github.com/regbridge/regbridge/providers/internal/jwks"
	"github.com/regbridge/regbridge/providers/upstream"
)

// Validation modes.
const (
	ValidationJWT           = "jwt"
	ValidationIntrospection = "introspection"
	ValidationBoth          = "both"
)

// Sender constraints.
const (
	ConstraintDPoP = "dpop"
	ConstraintMTLS = "mtls"
	ConstraintAny  = "any"
	ConstraintNone = "none"
)

// Introspection client authentication methods.
const (
	AuthClientSecretBasic = "client_secret_basic"
	AuthPrivateKeyJWT     = "private_key_jwt"
	// AuthNone sends no client authentication: only for servers such as
	// Hydra's admin port that are reached over a private channel.
	AuthNone = "none"
)

// Defaults.
const (
	DefaultSkew            = 30 * time.Second
	DefaultRefreshCooldown = jwks.DefaultCooldown
	DefaultNonceTTL        = 5 * time.Minute
	maxSkew                = 5 * time.Minute
	maxIATWindow           = 10 * time.Minute
)

// Default lists.
var (
	DefaultAccessTokenTypes = []string{"at+jwt", "application/at+jwt"}
	DefaultRequiredScopes   = []string{"registry.token.issue"}
)

// Config declares one authorization server.
type Config struct {
	// Issuer is the exact `iss` of the server's tokens.
	Issuer string `yaml:"issuer"`
	// Audiences are this bridge's audiences; a token MUST carry one.
	Audiences []string `yaml:"audiences"`
	// Validation is jwt (default), introspection or both.
	Validation string `yaml:"validation"`
	// Keys are jwks_uri, jwks (inline JSON) and the access-token signature
	// allow-list algorithms (default RS256, ES256).
	jwks.Keys `yaml:",inline"`
	// Discovery takes jwks_uri from the issuer's metadata (same origin
	// only). Exactly one of jwks_uri, jwks and discovery for jwt and both.
	Discovery bool `yaml:"discovery"`
	// AccessTokenTypes are the accepted JWT `typ` values, compared
	// case-insensitively (default at+jwt, application/at+jwt; Hydra sends JWT).
	AccessTokenTypes []string `yaml:"access_token_types"`
	// IntrospectionURL is the RFC 7662 endpoint.
	IntrospectionURL string `yaml:"introspection_url"`
	// IntrospectionAudience says whether an introspection answer must carry
	// `aud` (one of Audiences): required (default) or if_present (checked
	// when the answer carries it).
	IntrospectionAudience string `yaml:"introspection_audience"`
	// IntrospectionIssuer says the same of `iss` (equal to Issuer).
	IntrospectionIssuer string `yaml:"introspection_issuer"`
	// ClientID, ClientSecret/ClientSecretFile, ClientAuth and PrivateKeyFile
	// authenticate the bridge to the introspection endpoint.
	ClientID         string           `yaml:"client_id"`
	ClientSecret     providers.Secret `yaml:"client_secret"`
	ClientSecretFile string           `yaml:"client_secret_file"`
	ClientAuth       string           `yaml:"client_auth"`
	PrivateKeyFile   string           `yaml:"private_key_file"`
	// ScopeClaim is scope (space-delimited string, default), scp (array) or
	// both.
	ScopeClaim string `yaml:"scope_claim"`
	// RequiredScopes must all be present as exact tokens (default
	// registry.token.issue).
	RequiredScopes []string `yaml:"required_scopes"`
	// ClientIDs, when set, is the allow-list of the token's client_id.
	ClientIDs []string `yaml:"client_ids"`
	// ClaimsPath names a nested object (Hydra: ext) whose members are lifted
	// to the top level of Identity.Claims; empty means top level only.
	ClaimsPath string `yaml:"claims_path"`
	// Claims lists the custom claim names the policy may use (for the
	// linter); empty means any.
	Claims []string `yaml:"claims"`
	// UsernameClaim names the claim used as the username (default: username,
	// else client_id).
	UsernameClaim string `yaml:"username_claim"`
	// SenderConstraint is dpop, mtls, any (default: a bound token is
	// required) or none. A bound token is always held to its binding.
	SenderConstraint string     `yaml:"sender_constraint"`
	DPoP             DPoPConfig `yaml:"dpop"`
	MTLS             MTLSConfig `yaml:"mtls"`
	// Skew is the clock skew allowed for exp, nbf and iat (default 30s).
	Skew time.Duration `yaml:"skew"`
	// MaxTokenAge, when set, bounds now − iat.
	MaxTokenAge time.Duration `yaml:"max_token_age"`
	// CacheTTL, when set, caps how long the bridge may cache a positive
	// result (introspection revocation latency).
	CacheTTL time.Duration `yaml:"cache_ttl"`
	// JWKSRefreshCooldown is the least time between two JWKS downloads
	// (default 60s).
	JWKSRefreshCooldown time.Duration `yaml:"jwks_refresh_cooldown"`
	// Timeout bounds one upstream call (default 5s).
	Timeout time.Duration `yaml:"timeout"`
	// AllowInsecureHTTP permits http upstream URLs off loopback (tests only).
	AllowInsecureHTTP bool `yaml:"allow_insecure_http"`
}

// DPoPConfig tunes the DPoP proof verifier.
type DPoPConfig struct {
	// Algorithms is the proof alg allow-list (default ES256 ES384 EdDSA
	// PS256 RS256); asymmetric only.
	Algorithms []string `yaml:"algorithms"`
	// IATWindow is how old a proof may be (default 60s).
	IATWindow time.Duration `yaml:"iat_window"`
	// IATFuture is how far in the future a proof's iat may be (default 5s).
	IATFuture time.Duration `yaml:"iat_future"`
	// Nonce turns on server nonces (use_dpop_nonce).
	Nonce bool `yaml:"nonce"`
	// NonceTTL is how long an issued nonce stays valid (default 5m).
	NonceTTL time.Duration `yaml:"nonce_ttl"`
	// NonceSecretFile holds the nonce HMAC key (≥ 32 bytes), shared between
	// replicas; without it each process uses a random key.
	NonceSecretFile string `yaml:"nonce_secret_file"`
}

// MTLSConfig says where client certificates come from.
type MTLSConfig struct {
	// TrustedProxies are the CIDRs of TLS-terminating proxies allowed to
	// pass the client certificate in ClientCertHeader.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// ClientCertHeader is the header those proxies set (RFC 9440
	// Client-Cert, or a URL-encoded PEM such as nginx $ssl_client_escaped_cert).
	ClientCertHeader string `yaml:"client_cert_header"`
}

func (c Config) validation() string   { return def(c.Validation, ValidationJWT) }
func (c Config) constraint() string   { return def(c.SenderConstraint, ConstraintAny) }
func (c Config) scopeClaim() string   { return def(c.ScopeClaim, "scope") }
func (c Config) skew() time.Duration  { return defDur(c.Skew, DefaultSkew) }
func (c Config) tokenTypes() []string { return defList(c.AccessTokenTypes, DefaultAccessTokenTypes) }
func (c Config) requiredScopes() []string {
	if c.RequiredScopes == nil {
		return DefaultRequiredScopes
	}
	return c.RequiredScopes
}
func (c Config) usesJWT() bool           { return c.validation() != ValidationIntrospection }
func (c Config) usesIntrospection() bool { return c.validation() != ValidationJWT }
func (c Config) clientAuth() string      { return def(c.ClientAuth, AuthClientSecretBasic) }

func def(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func defDur(v, d time.Duration) time.Duration {
	if v == 0 {
		return d
	}
	return v
}

func defList(v, d []string) []string {
	if len(v) == 0 {
		return d
	}
	return v
}

// Validate reports every problem of the configuration, each naming its
// YAML key. It does no I/O.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf("authority: "+format, a...)) }
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
	c.validateKeys(add)
	c.validateIntrospection(add)
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
	for i, p := range c.MTLS.TrustedProxies {
		if _, err := netip.ParsePrefix(p); err != nil {
			add("mtls.trusted_proxies[%d]: %v", i, err)
		}
	}
	if (c.MTLS.ClientCertHeader == "") != (len(c.MTLS.TrustedProxies) == 0) {
		add("mtls: client_cert_header and trusted_proxies must be set together")
	}
	if c.Skew < 0 || c.Skew > maxSkew {
		add("skew: must be between 0 and %s", maxSkew)
	}
	for name, d := range map[string]time.Duration{"max_token_age": c.MaxTokenAge, "cache_ttl": c.CacheTTL,
		"jwks_refresh_cooldown": c.JWKSRefreshCooldown, "timeout": c.Timeout} {
		if d < 0 {
			add("%s: must not be negative", name)
		}
	}
	return errors.Join(errs...)
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

// dpopAlgorithms returns the configured or default proof algorithms.
func (c Config) dpopAlgorithms() []string {
	if len(c.DPoP.Algorithms) > 0 {
		return c.DPoP.Algorithms
	}
	var out []string
	for _, a := range dpop.DefaultAlgorithms() {
		out = append(out, string(a))
	}
	return out
}
