package gitlab

import (
	"strings"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
)

func TestConfigProblemsAreNamedByYAMLKey(t *testing.T) {
	cases := []struct {
		name string
		cfg  func(*Config)
		want []string // substrings; nil: valid
	}{
		{"gitlab.com", func(c *Config) { c.BaseURL = "https://gitlab.com" }, nil},
		{"self-managed under a path", func(c *Config) { c.BaseURL = "https://git.example.com/gitlab/" }, nil},
		{"no base_url", func(c *Config) {}, []string{"base_url: required"}},
		{"an API URL", func(c *Config) { c.BaseURL = "https://gitlab.com/api/v4" }, []string{"base_url:", "web URL"}},
		{"passwords", func(c *Config) { c.BaseURL = "https://gitlab.com"; c.AllowPasswords = true }, []string{"allow_passwords: not supported"}},
		{"every problem at once", func(c *Config) {
			c.BaseURL = "ftp://x"
			c.Timeout = time.Hour
			c.PermissionTTL = -1
			c.MaxPages = 1000
			c.Usernames = []string{""}
		}, []string{"base_url:", "timeout:", "permission_ttl:", "max_pages:", "usernames[0]:"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var cfg Config
			c.cfg(&cfg)
			err := cfg.Validate()
			if c.want == nil {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate accepted it")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestTheAPIIsUnderTheBaseURLAndDefaultsApply(t *testing.T) {
	var cfg Config
	cfg.BaseURL = "https://git.example.com/gitlab/"
	p, err := New("gitlab", cfg, providers.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.api.BaseURL(); got != "https://git.example.com/gitlab/api/v4" {
		t.Errorf("API base %q", got)
	}
	if got := p.web.BaseURL(); got != "https://git.example.com/gitlab" {
		t.Errorf("web base %q", got)
	}
	if p.PermissionTTL() != 60*time.Second || len(p.Route().Usernames) != 1 || p.Route().Usernames[0] != "*" {
		t.Errorf("defaults: ttl %v route %v", p.PermissionTTL(), p.Route())
	}
	if f := p.PolicyFacts(); f.Type != "gitlab" || !f.Forge {
		t.Errorf("facts %+v", f)
	}
	cfg.BaseURL = "http://gitlab.internal"
	if _, err := New("gitlab", cfg, providers.Deps{}); err == nil {
		t.Error("plain http off loopback accepted without AllowInsecureHTTP")
	}
	if _, err := New("gitlab", cfg, providers.Deps{AllowInsecureHTTP: true}); err != nil {
		t.Errorf("plain http with AllowInsecureHTTP: %v", err)
	}
}
