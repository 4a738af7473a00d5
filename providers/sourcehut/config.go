package sourcehut

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults for an unset Config field.
const (
	DefaultMetaURL        = "https://meta.sr.ht"
	DefaultTimeout        = 5 * time.Second
	DefaultMaxTokenLength = 4096
	// DefaultUsername is the Basic username routed here when usernames is
	// unset (`docker login -u sourcehut`).
	DefaultUsername = "sourcehut"
)

// Bounds checked by Validate.
const (
	minTokenLength = 64
	maxTokenLength = 65536
	maxTimeout     = time.Minute
)

// Config is the provider entry of regbridge.yaml (besides id and type).
type Config struct {
	// MetaURL is the meta.sr.ht origin whose /query validates tokens.
	// Default https://meta.sr.ht. MUST be https except on loopback.
	MetaURL string `yaml:"meta_url"`
	// RegistryDomain is the service name grants must carry:
	// `<registry_domain>/REGISTRY:RW`. Compared exactly (case-sensitive,
	// port included). Required.
	RegistryDomain string `yaml:"registry_domain"`
	// Usernames are the Basic usernames whose passwords are routed here. They
	// carry no identity. "*" claims every username no other provider lists.
	// Default ["sourcehut"].
	Usernames []string `yaml:"usernames"`
	// AllowPersonalAccessTokens accepts personal access tokens with empty
	// grants (all permissions, no client id) as read-write. Default false.
	AllowPersonalAccessTokens bool `yaml:"allow_personal_access_tokens"`
	// Timeout bounds one call to meta.sr.ht. Default 5s, at most 1m.
	Timeout time.Duration `yaml:"timeout"`
	// MaxTokenLength refuses longer passwords before any network I/O.
	// Default 4096.
	MaxTokenLength int `yaml:"max_token_length"`
}

// Validate reports every problem in c, each naming its yaml key. It does no
// I/O and does not change c.
func (c Config) Validate() error {
	var errs []error
	if c.MetaURL != "" {
		if err := validateMetaURL(c.MetaURL); err != nil {
			errs = append(errs, fmt.Errorf("meta_url: %w", err))
		}
	}
	if c.RegistryDomain == "" {
		errs = append(errs, errors.New("registry_domain: required (the host[:port] builds manifests name in `oauth: <domain>/REGISTRY:RW`)"))
	} else if err := validateDomain(c.RegistryDomain); err != nil {
		errs = append(errs, fmt.Errorf("registry_domain: %w", err))
	}
	seen := make(map[string]bool)
	for i, u := range c.Usernames {
		switch {
		case u == "":
			errs = append(errs, fmt.Errorf("usernames[%d]: empty", i))
		case strings.ContainsAny(u, ": \t\r\n"):
			errs = append(errs, fmt.Errorf("usernames[%d]: %q has a colon or whitespace", i, u))
		case seen[u]:
			errs = append(errs, fmt.Errorf("usernames[%d]: %q listed twice", i, u))
		}
		seen[u] = true
	}
	if c.Timeout < 0 || c.Timeout > maxTimeout {
		errs = append(errs, fmt.Errorf("timeout: %s is outside 0 (default %s) to %s", c.Timeout, DefaultTimeout, maxTimeout))
	}
	if c.MaxTokenLength != 0 && (c.MaxTokenLength < minTokenLength || c.MaxTokenLength > maxTokenLength) {
		errs = append(errs, fmt.Errorf("max_token_length: %d is outside %d to %d", c.MaxTokenLength, minTokenLength, maxTokenLength))
	}
	return errors.Join(errs...)
}

// withDefaults returns c with unset fields filled in.
func (c Config) withDefaults() Config {
	if c.MetaURL == "" {
		c.MetaURL = DefaultMetaURL
	}
	if len(c.Usernames) == 0 {
		c.Usernames = []string{DefaultUsername}
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxTokenLength == 0 {
		c.MaxTokenLength = DefaultMaxTokenLength
	}
	return c
}

func validateMetaURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return fmt.Errorf("%q must be an https URL", raw)
	}
	if u.Host == "" {
		return fmt.Errorf("%q has no host", raw)
	}
	if u.User != nil {
		return fmt.Errorf("%q must not carry credentials", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return fmt.Errorf("%q must not have a query or fragment", raw)
	}
	if strings.HasSuffix(strings.TrimSuffix(u.Path, "/"), "/query") {
		return fmt.Errorf("%q must be the origin; /query is appended", raw)
	}
	return nil
}

// validateDomain accepts a lower-case DNS name or IP literal with an
// optional port, the way a registry host appears in an image reference.
func validateDomain(d string) error {
	host := d
	if strings.Contains(d, ":") && !(strings.HasPrefix(d, "[") && strings.HasSuffix(d, "]")) {
		h, port, err := net.SplitHostPort(d)
		if err != nil {
			return fmt.Errorf("%q: %v", d, err)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || port != strconv.Itoa(n) {
			return fmt.Errorf("%q: port %q is not 1-65535", d, port)
		}
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if net.ParseIP(host) != nil {
		return nil
	}
	if host == "" || len(host) > 253 {
		return fmt.Errorf("%q: bad host length", d)
	}
	for _, label := range strings.Split(host, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("%q: bad DNS label %q", d, label)
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				if c >= 'A' && c <= 'Z' {
					return fmt.Errorf("%q must be lower case (grants are compared exactly)", d)
				}
				return fmt.Errorf("%q: %q is not allowed in a host name", d, c)
			}
		}
	}
	return nil
}
