package forgeapi

import (
	"errors"
	"fmt"
	"time"
)

// Bounds of the shared settings.
const (
	maxTimeout = time.Minute
	// DefaultPermissionTTL is how long the bridge may reuse a forge's
	// answer about one repository for one credential.
	DefaultPermissionTTL = 60 * time.Second
	maxPermissionTTL     = 10 * time.Minute
	// DefaultMaxPages bounds the pages read of one listing (teams, orgs,
	// groups): 100 items a page, so 1,000 groups.
	DefaultMaxPages = 10
	maxMaxPages     = 100
)

// Common holds the settings every forge provider entry shares. Adapters
// embed it with `yaml:",inline"`.
type Common struct {
	// BaseURL is the forge's web URL (https://gitea.example.com,
	// https://github.com, https://gitlab.example.com). The token is sent
	// to its API only.
	BaseURL string `yaml:"base_url"`
	// Usernames are the Basic usernames whose passwords are routed here.
	// They never choose the identity, which comes from the forge. "*"
	// claims every username no other provider lists. Default ["*"].
	Usernames []string `yaml:"usernames"`
	// AllowPasswords lets a forge account's own password stand for a
	// token. Default false: a password has every scope, cannot be limited
	// to the registry and is phished more easily than a token.
	AllowPasswords bool `yaml:"allow_passwords"`
	// AllowUnscopedTokens accepts tokens that carry no registry-related
	// scope, capped at pull. Default false: such a token gets nothing.
	AllowUnscopedTokens bool `yaml:"allow_unscoped_tokens"`
	// Timeout bounds one forge API call. Default 5s, at most 1m.
	Timeout time.Duration `yaml:"timeout"`
	// PermissionTTL bounds how long a forge's answer about one repository
	// is reused for one credential. Default 60s, at most 10m.
	PermissionTTL time.Duration `yaml:"permission_ttl"`
	// MaxPages bounds the pages (of 100) read of one listing of
	// organisations, teams or groups. Default 10, at most 100.
	MaxPages int `yaml:"max_pages"`
}

// Validate reports every problem of the shared settings, each naming its
// yaml key. It does no I/O and does not change c.
func (c Common) Validate(allowInsecure bool) error {
	var errs []error
	if c.BaseURL == "" {
		errs = append(errs, errors.New("base_url: required (the forge's URL, e.g. https://gitea.example.com)"))
	} else if _, err := New(Options{BaseURL: c.BaseURL, AllowInsecureHTTP: allowInsecure}); err != nil {
		errs = append(errs, fmt.Errorf("base_url: %w", err))
	}
	for i, u := range c.Usernames {
		if u == "" {
			errs = append(errs, fmt.Errorf("usernames[%d]: empty", i))
		}
	}
	if c.Timeout < 0 || c.Timeout > maxTimeout {
		errs = append(errs, fmt.Errorf("timeout: %s is out of range (0 to %s)", c.Timeout, maxTimeout))
	}
	if c.PermissionTTL < 0 || c.PermissionTTL > maxPermissionTTL {
		errs = append(errs, fmt.Errorf("permission_ttl: %s is out of range (0 to %s)", c.PermissionTTL, maxPermissionTTL))
	}
	if c.MaxPages < 0 || c.MaxPages > maxMaxPages {
		errs = append(errs, fmt.Errorf("max_pages: %d is out of range (0 to %d)", c.MaxPages, maxMaxPages))
	}
	return errors.Join(errs...)
}

// WithDefaults returns c with every unset field at its default.
func (c Common) WithDefaults() Common {
	if len(c.Usernames) == 0 {
		c.Usernames = []string{"*"}
	}
	if c.PermissionTTL == 0 {
		c.PermissionTTL = DefaultPermissionTTL
	}
	if c.MaxPages == 0 {
		c.MaxPages = DefaultMaxPages
	}
	return c
}
