package bridge

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/regbridge/regbridge/bridge/signing"
	"github.com/regbridge/regbridge/providers/upstream"
)

// Service is one registry this bridge issues tokens for.
type Service struct {
	// Name is the `service` request parameter and the token's `aud`.
	Name string `yaml:"name"`
	// Issuer MUST equal the registry's auth.token.issuer; it is the `iss`.
	Issuer string `yaml:"issuer"`
	// TokenTTL is the lifetime of issued tokens (default 5m).
	TokenTTL time.Duration `yaml:"token_ttl"`
	// MaxTokenTTL caps a policy rule's token_ttl (default 1h).
	MaxTokenTTL time.Duration `yaml:"max_token_ttl"`
	// Header is the JWS header form: x5c (default) or kid.
	Header signing.HeaderMode `yaml:"header"`
	// TokenFields is both (default: token and access_token, the same
	// value) or access_token (that field only, 1.2 KB less per x5c answer;
	// docker, containers/image, crane and oras all read access_token).
	TokenFields string `yaml:"token_fields"`
	// Registry is "any" (default: distribution 2.8 and 3.x must accept the
	// tokens) or "v3" (3.x only, which allows PS256 and EdDSA keys).
	Registry string `yaml:"registry"`
	// RegistryURL is the registry's base URL (https, or http on loopback),
	// read for the filtered catalog and search. Empty: this service serves
	// no catalog.
	RegistryURL string `yaml:"registry_url"`
}

// Values of Service.TokenFields.
const (
	// TokenFieldsBoth answers token and access_token with the same value.
	TokenFieldsBoth = "both"
	// TokenFieldsAccessToken answers access_token only.
	TokenFieldsAccessToken = "access_token"
)

// Defaults for a Service.
const (
	DefaultTokenTTL    = 5 * time.Minute
	DefaultMaxTokenTTL = time.Hour
	// MinTokenTTL is the shortest lifetime a token response may state:
	// clients raise anything shorter to 60 s.
	MinTokenTTL = 60 * time.Second
)

// WithDefaults returns s with empty fields set to their defaults.
func (s Service) WithDefaults() Service {
	if s.TokenTTL == 0 {
		s.TokenTTL = DefaultTokenTTL
	}
	if s.MaxTokenTTL == 0 {
		s.MaxTokenTTL = DefaultMaxTokenTTL
	}
	if s.Header == "" {
		s.Header = signing.HeaderX5C
	}
	if s.Registry == "" {
		s.Registry = "any"
	}
	if s.TokenFields == "" {
		s.TokenFields = TokenFieldsBoth
	}
	return s
}

// Validate reports every problem of s (after defaults) as one joined error.
func (s Service) Validate() error {
	var errs []error
	if s.Name == "" {
		errs = append(errs, errors.New("name: required (the registry's auth.token.service)"))
	}
	if s.Issuer == "" {
		errs = append(errs, errors.New("issuer: required (must equal the registry's auth.token.issuer)"))
	}
	if s.TokenTTL < MinTokenTTL {
		errs = append(errs, fmt.Errorf("token_ttl: %s is below the 60s clients assume", s.TokenTTL))
	}
	if s.MaxTokenTTL < s.TokenTTL {
		errs = append(errs, fmt.Errorf("max_token_ttl: %s is below token_ttl %s", s.MaxTokenTTL, s.TokenTTL))
	}
	switch s.Header {
	case signing.HeaderX5C, signing.HeaderKID:
	default:
		errs = append(errs, fmt.Errorf("header: %q is not x5c or kid", s.Header))
	}
	switch s.TokenFields {
	case TokenFieldsBoth, TokenFieldsAccessToken:
	default:
		errs = append(errs, fmt.Errorf("token_fields: %q is not both or access_token", s.TokenFields))
	}
	switch s.Registry {
	case "any", "v3":
	default:
		errs = append(errs, fmt.Errorf("registry: %q is not any or v3", s.Registry))
	}
	if s.RegistryURL != "" {
		if err := checkRegistryURL(s.RegistryURL); err != nil {
			errs = append(errs, fmt.Errorf("registry_url: %w", err))
		}
	}
	return errors.Join(errs...)
}

// CacheConfig sizes the credential cache.
type CacheConfig struct {
	// Size is the most identities held (default 100000).
	Size int `yaml:"size"`
	// TTL bounds how long a positive answer is reused (default 60s).
	TTL time.Duration `yaml:"ttl"`
	// NegativeTTL is how long a definite rejection is remembered (default 10s).
	NegativeTTL time.Duration `yaml:"negative_ttl"`
	// SweepInterval is how often expired entries are removed without
	// waiting for their credential to be presented again (default 10s).
	SweepInterval time.Duration `yaml:"sweep_interval"`
}

// WithDefaults returns c with empty fields set to their defaults.
func (c CacheConfig) WithDefaults() CacheConfig {
	if c.Size == 0 {
		c.Size = 100000
	}
	if c.TTL == 0 {
		c.TTL = 60 * time.Second
	}
	if c.NegativeTTL == 0 {
		c.NegativeTTL = 10 * time.Second
	}
	if c.SweepInterval == 0 {
		c.SweepInterval = defaultSweepInterval
	}
	return c
}

// Validate reports every problem of c as one joined error.
func (c CacheConfig) Validate() error {
	var errs []error
	if c.Size < 0 {
		errs = append(errs, fmt.Errorf("size: %d is negative", c.Size))
	}
	if c.TTL < 0 {
		errs = append(errs, fmt.Errorf("ttl: %s is negative", c.TTL))
	}
	if c.NegativeTTL < 0 {
		errs = append(errs, fmt.Errorf("negative_ttl: %s is negative", c.NegativeTTL))
	}
	if c.SweepInterval < 0 {
		errs = append(errs, fmt.Errorf("sweep_interval: %s is negative", c.SweepInterval))
	}
	return errors.Join(errs...)
}

// checkRegistryURL accepts an https base URL (http only on loopback) with no
// query, fragment or trailing path beyond "/".
func checkRegistryURL(raw string) error {
	u, err := upstream.CheckURL(raw, false)
	if err != nil {
		return err
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q must not carry a query or fragment", raw)
	}
	if strings.Trim(u.Path, "/") != "" {
		return fmt.Errorf("%q must be the registry's base URL, without a path", raw)
	}
	return nil
}
