package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/regbridge/regbridge/acl"
	"github.com/regbridge/regbridge/providers"
)

const examplePath = "../../testdata/config/regbridge.example.yaml"

func TestExampleConfigShippedInTheREADMELoadsAndBuilds(t *testing.T) {
	cfg, err := loadConfig(examplePath, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := build(cfg, providerFactories(), providers.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.keys) != 1 || len(b.providers) != 1 || b.policy == nil {
		t.Fatalf("built %d keys, %d providers, policy %v", len(b.keys), len(b.providers), b.policy)
	}
	if cfg.Services[0].TokenTTL != 5*time.Minute || cfg.Cache.NegativeTTL != 10*time.Second {
		t.Errorf("durations: %v %v", cfg.Services[0].TokenTTL, cfg.Cache.NegativeTTL)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Skip("README.md not present")
	}
	if !strings.Contains(string(readme), "testdata/config/regbridge.example.yaml") {
		t.Error("README does not point at the example configuration")
	}
}

func TestConfigErrorsNameFileLineAndAreAllReported(t *testing.T) {
	src := `listen: ":5001"
servics:
  - name: a
services:
  - name: registry.example.com
    isuer: regbridge
    token_ttl: 10s
    header: jwk
keys: []
cache: {size: 10, ttl: banana}
policy: p.yaml
providers:
  - {id: users, type: static, htpasswd: x, extra_key: 1}
  - {id: Users, type: nope}
`
	_, err := parseConfig([]byte(src), "regbridge.yaml", nil)
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{
		`regbridge.yaml:2: unknown key servics (did you mean "services"?)`,
		`regbridge.yaml:6: unknown key services.0.isuer (did you mean "services.0.issuer"?)`,
	} {
		if !strings.Contains(err.Error(), strings.Replace(want, `services.0.issuer`, `issuer`, 1)) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
	// With the unknown keys fixed, value errors are reported together.
	src = strings.Replace(strings.Replace(src, "servics:\n  - name: a\n", "", 1), "isuer", "issuer", 1)
	src = strings.Replace(src, "ttl: banana", "ttl: 1m", 1)
	_, err = parseConfig([]byte(src), "regbridge.yaml", nil)
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{
		"regbridge.yaml:5: services[0]: token_ttl: 10s is below the 60s",
		`regbridge.yaml:6: services[0]: header: "jwk" is not x5c or kid`,
		"regbridge.yaml:7: keys: at least one signing key is required",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}

func TestProviderEntriesAreDecodedStrictlyWithLines(t *testing.T) {
	dir := t.TempDir()
	src := `services: [{name: r, issuer: i}]
keys: [{private_key: k.pem}]
policy: p.yaml
providers:
  - id: users
    type: static
    htpasswd: x
    extra_key: 1
  - id: Users
    type: static
  - id: other
    type: nope
`
	path := filepath.Join(dir, "regbridge.yaml")
	os.WriteFile(path, []byte(src), 0o600)
	cfg, err := loadConfig(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = buildProviders(cfg, providerFactories(), providers.Deps{})
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{
		path + ":8: unknown key extra_key",
		"id must be lower-case",
		`unknown type "nope" (known: authority, forgejo, gitea, github, gitlab, oidc, sourcehut, static)`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}

func TestEnvironmentOverridesConfigValues(t *testing.T) {
	src := `listen: ":5001"
services: [{name: r, issuer: i}]
keys: [{private_key: k.pem}]
policy: p.yaml
providers:
  - {id: the-users, type: static, htpasswd: a}
`
	env := map[string]string{
		"REGBRIDGE_LISTEN":                       "127.0.0.1:7000",
		"REGBRIDGE_CACHE_TTL":                    "2m",
		"REGBRIDGE_SERVICES_0_ISSUER":            "from-env",
		"REGBRIDGE_PROVIDERS_THE_USERS_HTPASSWD": "/etc/htpasswd",
		"UNRELATED":                              "x",
	}
	cfg, err := parseConfig([]byte(src), "/etc/regbridge/regbridge.yaml", env)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:7000" || cfg.Cache.TTL != 2*time.Minute || cfg.Services[0].Issuer != "from-env" {
		t.Errorf("listen %q ttl %v issuer %q", cfg.Listen, cfg.Cache.TTL, cfg.Services[0].Issuer)
	}
	if got := mapValue(&cfg.Providers[0], "htpasswd").Value; got != "/etc/htpasswd" {
		t.Errorf("provider htpasswd %q", got)
	}
	// A bad value from the environment is reported like a bad file value.
	env["REGBRIDGE_CACHE_TTL"] = "soon"
	if _, err := parseConfig([]byte(src), "regbridge.yaml", env); err == nil || !strings.Contains(err.Error(), "from the environment") {
		t.Errorf("bad env value: %v", err)
	}
}

func TestMissingFilesAreErrors(t *testing.T) {
	if _, err := loadConfig("does-not-exist.yaml", nil); err == nil {
		t.Error("missing config accepted")
	}
	src := `services: [{name: r, issuer: i}]
keys: [{private_key: missing.pem}]
policy: missing-policy.yaml
`
	dir := t.TempDir()
	path := filepath.Join(dir, "regbridge.yaml")
	os.WriteFile(path, []byte(src), 0o600)
	cfg, err := loadConfig(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = build(cfg, providerFactories(), providers.Deps{})
	if err == nil || !strings.Contains(err.Error(), "missing.pem") || !strings.Contains(err.Error(), "missing-policy.yaml") {
		t.Errorf("want both missing files reported, got %v", err)
	}
}

func FuzzConfigLoader(f *testing.F) {
	seed, _ := os.ReadFile(examplePath)
	f.Add(string(seed))
	f.Add("listen: [1,2]\nservices: {a: b}\n")
	f.Add("a: &x {b: *x}\n")
	f.Add("providers:\n  - {id: a, type: static, htpasswd: *q}\n")
	f.Fuzz(func(t *testing.T, src string) {
		cfg, err := parseConfig([]byte(src), "fuzz.yaml", map[string]string{"REGBRIDGE_LISTEN": ":1"})
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if len(cfg.Services) == 0 || len(cfg.Keys) == 0 || cfg.Policy == "" {
			t.Fatalf("accepted a config without services, keys or policy: %+v", cfg)
		}
	})
}

func TestKubernetesConfigMapHoldsAValidConfigAndPolicy(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/kubernetes/regbridge.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cm struct {
		Kind string            `yaml:"kind"`
		Data map[string]string `yaml:"data"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	for dec.Decode(&cm) == nil && cm.Kind != "ConfigMap" {
	}
	if cm.Kind != "ConfigMap" {
		t.Fatal("no ConfigMap in the manifests")
	}
	cfg, err := parseConfig([]byte(cm.Data["regbridge.yaml"]), "/etc/regbridge/regbridge.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := buildProviders(cfg, providerFactories(), providers.Deps{}); err != nil {
		t.Fatal(err)
	}
	if _, err := acl.Parse([]byte(cm.Data["policy.yaml"]), "policy.yaml", acl.Options{}); err != nil {
		t.Fatal(err)
	}
}

func TestProfilerIsOnlyServedOnTheAdminListener(t *testing.T) {
	src := `services: [{name: r, issuer: i}]
keys: [{private_key: k.pem}]
policy: p.yaml
observability: {pprof: true}
`
	if _, err := parseConfig([]byte(src), "regbridge.yaml", nil); err == nil || !strings.Contains(err.Error(), "regbridge.yaml:4: observability.pprof needs observability.metrics_listen") {
		t.Errorf("pprof without an admin listener: %v", err)
	}
}
