package github

import (
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/regbridge/regbridge/providers"
)

func TestBaseURLsMapToGitHubsAPIRoots(t *testing.T) {
	tests := []struct{ base, api string }{
		{"https://github.com", "https://api.github.com"},
		{"https://github.com/", "https://api.github.com"},
		{"https://GitHub.com", "https://api.github.com"},
		{"https://octo.ghe.com", "https://api.octo.ghe.com"},
		{"https://github.example.com", "https://github.example.com/api/v3"},
		{"https://github.example.com:8443/", "https://github.example.com:8443/api/v3"},
		{"http://127.0.0.1:3000", "http://127.0.0.1:3000/api/v3"},
	}
	for _, tt := range tests {
		cfg := Config{}
		cfg.BaseURL = tt.base
		if got := cfg.APIURL(); got != tt.api {
			t.Errorf("APIURL(%q) = %q, want %q", tt.base, got, tt.api)
		}
		if err := cfg.Validate(); err != nil {
			t.Errorf("Validate(%q): %v", tt.base, err)
		}
		p, err := New("github", cfg, providers.Deps{})
		if err != nil {
			t.Fatalf("New(%q): %v", tt.base, err)
		}
		if p.APIURL() != tt.api {
			t.Errorf("provider API %q, want %q", p.APIURL(), tt.api)
		}
	}
}

func TestValidateReportsEveryProblemByKey(t *testing.T) {
	cfg := Config{}
	cfg.BaseURL = "https://api.github.com/api/v3"
	cfg.AllowPasswords = true
	cfg.Usernames = []string{""}
	cfg.Timeout = -time.Second
	cfg.PermissionTTL = time.Hour
	cfg.MaxPages = 1000
	err := cfg.Validate()
	if err == nil {
		t.Fatal("Validate accepted a broken config")
	}
	for _, want := range []string{"base_url: \"https://api.github.com/api/v3\" is an API host", "has the path \"/api/v3\"", "allow_passwords:", "usernames[0]:", "timeout:", "permission_ttl:", "max_pages:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if err := (Config{}).Validate(); err == nil || !strings.Contains(err.Error(), "base_url: required") {
		t.Errorf("empty config: %v", err)
	}
}

func TestPasswordsAreAllowedOnlyForEnterpriseServer(t *testing.T) {
	for base, ok := range map[string]bool{"https://github.com": false, "https://octo.ghe.com": false, "https://github.example.com": true} {
		cfg := Config{}
		cfg.BaseURL, cfg.AllowPasswords = base, true
		if err := cfg.Validate(); (err == nil) != ok {
			t.Errorf("%s with allow_passwords: %v, want ok=%v", base, err, ok)
		}
	}
}

func TestPlainHTTPIsRefusedBeyondLoopback(t *testing.T) {
	cfg := Config{}
	cfg.BaseURL = "http://github.example.com"
	if _, err := New("github", cfg, providers.Deps{}); err == nil {
		t.Error("http to a non-loopback host was accepted")
	}
}

func TestTheYAMLEntryDecodesStrictlyWithTheSharedKeys(t *testing.T) {
	src := "base_url: https://github.example.com\nusernames: [\"*\"]\nallow_unscoped_tokens: true\ntimeout: 3s\npermission_ttl: 30s\nmax_pages: 5\n"
	var cfg Config
	dec := yaml.NewDecoder(strings.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		t.Fatal(err)
	}
	p, err := New("ghes", cfg, providers.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if p.PermissionTTL() != 30*time.Second || p.cfg.MaxPages != 5 || !p.cfg.AllowUnscopedTokens || p.Route().Usernames[0] != "*" {
		t.Errorf("decoded %+v", p.cfg)
	}
	if f := p.PolicyFacts(); f.Type != "github" || !f.Forge {
		t.Errorf("PolicyFacts = %+v", f)
	}
	bad := yaml.NewDecoder(strings.NewReader("base_url: https://github.com\napi_url: https://evil.example\n"))
	bad.KnownFields(true)
	if err := bad.Decode(&Config{}); err == nil {
		t.Error("an unknown key was accepted")
	}
}
