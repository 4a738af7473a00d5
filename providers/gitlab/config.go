package gitlab

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/regbridge/regbridge/providers/internal/forgeapi"
)

// APIPath is appended to base_url to reach the REST API.
const APIPath = "/api/v4"

// Config is the provider entry of regbridge.yaml (besides id and type),
// e.g. `{id: gitlab, type: gitlab, base_url: https://gitlab.com}`.
type Config struct {
	// Common holds base_url (the instance's web URL, e.g.
	// https://gitlab.com), usernames, allow_passwords (refused: GitLab's
	// API takes no account passwords), allow_unscoped_tokens, timeout,
	// permission_ttl and max_pages.
	forgeapi.Common `yaml:",inline"`
}

// Validate reports every problem in c, each naming its yaml key. It does no
// I/O and does not change c. Whether plain http is allowed for a host
// other than loopback is decided by New, which knows the deployment.
func (c Config) Validate() error {
	var errs []error
	if err := c.Common.Validate(true); err != nil {
		errs = append(errs, err)
	}
	if u, err := url.Parse(c.BaseURL); err == nil && c.BaseURL != "" {
		p := strings.TrimSuffix(u.Path, "/")
		if strings.HasSuffix(p, APIPath) || strings.Contains(p+"/", "/api/") {
			errs = append(errs, fmt.Errorf("base_url: %q is an API URL; give the instance's web URL (https://gitlab.example.com), %s is appended", c.BaseURL, APIPath))
		}
	}
	if c.AllowPasswords {
		errs = append(errs, errors.New("allow_passwords: not supported by type gitlab: GitLab's API does not accept account passwords; create a personal access token"))
	}
	return errors.Join(errs...)
}

// withDefaults returns c with unset fields at their defaults.
func (c Config) withDefaults() Config {
	c.Common = c.Common.WithDefaults()
	c.BaseURL = strings.TrimSuffix(c.BaseURL, "/")
	return c
}
