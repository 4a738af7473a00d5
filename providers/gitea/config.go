package gitea

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/regbridge/regbridge/providers/internal/forgeapi"
)

// APIPath is appended to base_url to reach the forge's REST API.
const APIPath = "/api/v1"

// maxSecretLength refuses longer passwords before any network I/O (a PAT
// is 40 characters, an OAuth2 access token a JWT of about a kilobyte).
const maxSecretLength = 4096

// Config is the provider entry of regbridge.yaml (besides id and type).
type Config struct {
	// Common holds base_url (the forge's web URL, e.g.
	// https://gitea.example.com; the API is <base_url>/api/v1), usernames,
	// allow_passwords, allow_unscoped_tokens, timeout, permission_ttl and
	// max_pages.
	forgeapi.Common `yaml:",inline"`
	// AssumePackageWrite treats a token that can read packages as one that
	// can also write them when the forge does not reveal which (Forgejo
	// tokens; Gitea tokens holding read:admin or all). Default false: such
	// tokens pull only.
	AssumePackageWrite bool `yaml:"assume_package_write"`
}

// Validate reports every problem in c, each naming its yaml key. It does no
// I/O and does not change c. Whether plain http is allowed on a host that
// is not loopback is decided by New (it depends on the process flags).
func (c Config) Validate() error {
	var errs []error
	if err := c.Common.Validate(true); err != nil {
		errs = append(errs, err)
	}
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err == nil {
			p := strings.TrimSuffix(u.Path, "/")
			if strings.HasSuffix(p, APIPath) {
				errs = append(errs, fmt.Errorf("base_url: %q must be the forge's web URL; %s is appended", c.BaseURL, APIPath))
			}
			if u.User != nil {
				errs = append(errs, fmt.Errorf("base_url: %q must not carry credentials", u.Redacted()))
			}
		}
	}
	seen := map[string]bool{}
	for i, u := range c.Usernames {
		switch {
		case strings.ContainsAny(u, ": \t\r\n"):
			errs = append(errs, fmt.Errorf("usernames[%d]: %q has a colon or whitespace", i, u))
		case u != "" && seen[u]:
			errs = append(errs, fmt.Errorf("usernames[%d]: %q listed twice", i, u))
		}
		seen[u] = true
	}
	return errors.Join(errs...)
}

// apiURL returns the API root for a web base URL.
func apiURL(base string) string {
	return strings.TrimSuffix(base, "/") + APIPath
}
