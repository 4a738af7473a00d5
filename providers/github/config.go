package github

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/regbridge/regbridge/providers/internal/forgeapi"
)

// DotCom is the web URL of github.com. Its API is APIDotCom.
const (
	DotCom    = "https://github.com"
	APIDotCom = "https://api.github.com"
)

// Config is the provider entry of regbridge.yaml (besides id and type).
//
// base_url is the web URL of the GitHub instance, and the API root is
// derived from it (forges.md §3.1):
//
//   - https://github.com → https://api.github.com;
//   - https://SUBDOMAIN.ghe.com (GitHub Enterprise Cloud with data
//     residency) → https://api.SUBDOMAIN.ghe.com;
//   - any other URL is a GitHub Enterprise Server → <base_url>/api/v3.
//
// The token is sent to that API root only. allow_passwords is refused for
// github.com and ghe.com, whose APIs do not accept account passwords; a
// GitHub Enterprise Server does (forges.md §3.1).
type Config struct {
	forgeapi.Common `yaml:",inline"`
}

// Validate reports every problem in c, each naming its yaml key. It does no
// I/O and does not change c. Plain http is checked in New, which knows
// whether it is allowed beyond loopback.
func (c Config) Validate() error {
	errs := []error{c.Common.Validate(true)}
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err == nil && u.Host != "" {
			errs = append(errs, checkBase(u, c.AllowPasswords))
		}
	}
	return errors.Join(errs...)
}

func checkBase(u *url.URL, allowPasswords bool) error {
	var errs []error
	host := strings.ToLower(u.Hostname())
	if host == "api.github.com" || strings.HasPrefix(host, "api.") && strings.HasSuffix(host, ".ghe.com") {
		errs = append(errs, fmt.Errorf("base_url: %q is an API host; give the web URL (e.g. %s), the API root is derived", u.Redacted(), DotCom))
	}
	if p := strings.TrimSuffix(u.Path, "/"); p != "" {
		errs = append(errs, fmt.Errorf("base_url: %q has the path %q; give the web origin (GitHub Enterprise Server's API is <base_url>/api/v3, added here)", u.Redacted(), p))
	}
	if allowPasswords && kind(host) != enterpriseServer {
		errs = append(errs, fmt.Errorf("allow_passwords: %s does not accept account passwords on its API (only GitHub Enterprise Server does)", host))
	}
	return errors.Join(errs...)
}

type instance int

const (
	dotCom instance = iota
	dataResidency
	enterpriseServer
)

func kind(host string) instance {
	switch {
	case host == "github.com" || host == "api.github.com":
		return dotCom
	case strings.HasSuffix(host, ".ghe.com"):
		return dataResidency
	}
	return enterpriseServer
}

// APIURL returns the API root that base_url maps to (see Config). It
// returns "" for a base URL that does not parse.
func (c Config) APIURL() string {
	u, err := url.Parse(c.BaseURL)
	if err != nil || u.Host == "" {
		return ""
	}
	switch kind(strings.ToLower(u.Hostname())) {
	case dotCom:
		return APIDotCom
	case dataResidency:
		return u.Scheme + "://api." + strings.ToLower(u.Host)
	}
	return u.Scheme + "://" + u.Host + "/api/v3"
}
