package gitea

import (
	"strings"
	"testing"

	"github.com/regbridge/regbridge/providers"
)

func TestConfigProblemsNameTheirYAMLKey(t *testing.T) {
	for _, tt := range []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"no base_url", func(c *Config) { c.BaseURL = "" }, "base_url: required"},
		{"the API URL instead of the web URL", func(c *Config) { c.BaseURL = "https://git.example.com/api/v1" }, "base_url:"},
		{"credentials in the URL", func(c *Config) { c.BaseURL = "https://u:p@git.example.com" }, "base_url:"},
		{"a query", func(c *Config) { c.BaseURL = "https://git.example.com/?x=1" }, "base_url:"},
		{"a username with a colon", func(c *Config) { c.Usernames = []string{"a:b"} }, "usernames[0]"},
		{"a username twice", func(c *Config) { c.Usernames = []string{"a", "a"} }, "usernames[1]"},
		{"a negative permission_ttl", func(c *Config) { c.PermissionTTL = -1 }, "permission_ttl"},
		{"too many pages", func(c *Config) { c.MaxPages = 1000 }, "max_pages"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := Config{}
			c.BaseURL = "https://git.example.com"
			tt.mod(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestPlainHTTPIsRefusedExceptOnLoopback(t *testing.T) {
	c := Config{}
	c.BaseURL = "http://git.example.com"
	if _, err := New("g", c, providers.Deps{}); err == nil {
		t.Fatal("plain http to a remote forge accepted")
	}
	c.BaseURL = "http://127.0.0.1:3000/"
	p, err := New("g", c, providers.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.api.BaseURL(); got != "http://127.0.0.1:3000/api/v1" {
		t.Errorf("API base %q", got)
	}
}

func TestForgejoIsTheSameProviderUnderItsOwnType(t *testing.T) {
	c := Config{}
	c.BaseURL = "https://codeberg.example"
	for typ, newFn := range map[string]func(string, Config, providers.Deps) (*Provider, error){"gitea": New, "forgejo": NewForgejo} {
		p, err := newFn("f", c, providers.Deps{})
		if err != nil {
			t.Fatal(err)
		}
		f := p.PolicyFacts()
		if f.Type != typ || !f.Forge || p.PermissionTTL() <= 0 || len(p.Route().Usernames) != 1 || p.Route().Usernames[0] != "*" {
			t.Errorf("%s: facts %+v ttl %s route %v", typ, f, p.PermissionTTL(), p.Route())
		}
	}
}
