package authority

import (
	"time"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/authority/dpop"
	"github.com/regbridge/regbridge/providers/internal/jwks"
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
