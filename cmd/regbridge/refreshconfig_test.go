package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/regbridge/regbridge/bridge"
	"github.com/regbridge/regbridge/bridge/signing"
	"github.com/regbridge/regbridge/providers"
)

// refreshConfig writes a configuration with the given providers entries
// and builds it.
func refreshConfig(t *testing.T, providersYAML string) (*built, error) {
	t.Helper()
	dir := t.TempDir()
	signer, cert, err := signing.GenerateKey(jose.ES256, "t", time.Hour, time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := signing.WriteKeyFiles(filepath.Join(dir, "k.pem"), filepath.Join(dir, "c.pem"), signer, cert); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "htpasswd"), nil, 0o600)
	os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte("version: 1\nrules:\n  - {id: p, who: anyone, grant: [{repository: \"public/**\", actions: [pull]}]}\n"), 0o600)
	src := "services: [{name: registry.test, issuer: i}]\nkeys: [{private_key: k.pem, certificate: c.pem}]\npolicy: policy.yaml\nproviders:\n" + providersYAML
	path := filepath.Join(dir, "regbridge.yaml")
	os.WriteFile(path, []byte(src), 0o600)
	cfg, err := loadConfig(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return build(cfg, providerFactories(), providers.Deps{})
}

func TestRefreshPoliciesFollowTheProviderKind(t *testing.T) {
	b, err := refreshConfig(t, `  - {id: users, type: static, htpasswd: htpasswd, refresh: {enabled: true}}
  - {id: gha, type: oidc, preset: github-actions, issuer: "https://token.actions.githubusercontent.com", audiences: [registry.test], refresh: {enabled: true}}
  - {id: gl, type: oidc, preset: gitlab-ci, issuer: "https://gitlab.example.com", audiences: [registry.test], refresh: {enabled: true, refresh_ttl: 2h, idle_timeout: 20m}}
  - {id: off, type: oidc, issuer: "https://op.example.com", audiences: [registry.test]}
`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bridge.RefreshPolicy{
		"users": {Enabled: true, TTL: 6 * time.Hour, Idle: time.Hour, Mode: bridge.RefreshCredential},
		"gha":   {Enabled: true, TTL: 6 * time.Hour, Idle: time.Hour, Mode: bridge.RefreshIdentity},
		"gl":    {Enabled: true, TTL: 2 * time.Hour, Idle: 20 * time.Minute, Mode: bridge.RefreshIdentity},
	}
	if len(b.refresh) != len(want) {
		t.Fatalf("policies %+v, want %+v", b.refresh, want)
	}
	for id, w := range want {
		if b.refresh[id] != w {
			t.Errorf("%s: %+v, want %+v", id, b.refresh[id], w)
		}
	}
}

func TestRefreshConfigurationProblemsAreReportedWithTheProvider(t *testing.T) {
	cases := []struct{ name, entry, want string }{
		{"a refresh_ttl above the hard maximum", `{id: u, type: static, htpasswd: htpasswd, refresh: {enabled: true, refresh_ttl: 48h}}`, "refresh_ttl"},
		{"an idle timeout above refresh_ttl", `{id: u, type: static, htpasswd: htpasswd, refresh: {enabled: true, refresh_ttl: 1h, idle_timeout: 2h}}`, "idle_timeout"},
		{"an unknown key", `{id: u, type: static, htpasswd: htpasswd, refresh: {enabled: true, rotate: true}}`, "rotate"},
		{"an authority provider", `{id: a, type: authority, issuer: "https://as.example.com", audiences: [registry.test], jwks_uri: "https://as.example.com/jwks"}`, "authority providers issue no refresh tokens"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			entry := tc.entry
			if strings.Contains(entry, "authority") {
				entry = strings.TrimSuffix(entry, "}") + ", refresh: {enabled: true}}"
			}
			_, err := refreshConfig(t, "  - "+entry+"\n")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error naming %q, got %v", tc.want, err)
			}
		})
	}
}
