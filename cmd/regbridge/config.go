package main

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/regbridge/regbridge/bridge"
)

// Config is regbridge.yaml.
type Config struct {
	// Listen is the address of the token listener (default ":5001").
	Listen string `yaml:"listen"`
	// PublicURL is how clients reach this server (realm, DPoP htu).
	PublicURL string `yaml:"public_url"`
	// TokenPath is the realm path (default /token).
	TokenPath string `yaml:"token_path"`
	// DataDir holds generated keys in the quick-start.
	DataDir  string           `yaml:"data_dir"`
	Services []bridge.Service `yaml:"services"`
	Keys     []KeyConfig      `yaml:"keys"`
	// Providers are decoded per type by the provider factories.
	Providers []yaml.Node         `yaml:"providers"`
	Cache     bridge.CacheConfig  `yaml:"cache"`
	Limits    bridge.Limits       `yaml:"limits"`
	Policy    string              `yaml:"policy"`
	TLS       TLSConfig           `yaml:"tls"`
	Log       LogConfig           `yaml:"log"`
	Observe   ObservabilityConfig `yaml:"observability"`
	// State is where replicas share replay sets (default: in memory).
	State  StateConfig  `yaml:"state"`
	Reload ReloadConfig `yaml:"reload"`
	// TokenReuse hands a recently minted token out again (off by default).
	TokenReuse bridge.ReuseConfig `yaml:"token_reuse"`
	// Shutdown sets the drain on SIGTERM.
	Shutdown ShutdownConfig `yaml:"shutdown"`
	// Discovery is the public metadata served for credential helpers.
	Discovery bridge.Discovery `yaml:"discovery"`
	// RateLimits bounds requests per client, credential and identity (off by default).
	RateLimits bridge.RateLimitConfig `yaml:"rate_limits"`
	// StateDir keeps the last fetched keys of each issuer across restarts
	// (off when empty); MaxStaleKeys bounds their age (default 24h).
	StateDir     string        `yaml:"state_dir"`
	MaxStaleKeys time.Duration `yaml:"max_stale_keys"`

	file  string
	lines map[string]int
}

// KeyConfig is one signing key.
type KeyConfig struct {
	PrivateKey  string `yaml:"private_key"`
	Certificate string `yaml:"certificate"`
	// Algorithm overrides the key type's default (RS256 keys may use PS256).
	Algorithm string `yaml:"algorithm"`
}

// TLSConfig enables HTTPS on the listener, optionally asking for client
// certificates (RFC 8705 mutual TLS).
type TLSConfig struct {
	Certificate string `yaml:"certificate"`
	PrivateKey  string `yaml:"private_key"`
	// ClientCA is a PEM bundle of CAs client certificates must chain to.
	ClientCA string `yaml:"client_ca"`
}

// LogConfig sets the operational log.
type LogConfig struct {
	Level  string `yaml:"level"`  // debug, info (default), warn, error
	Format string `yaml:"format"` // text (default) or json
}

// ObservabilityConfig sets metrics and the audit log.
type ObservabilityConfig struct {
	// MetricsListen serves /metrics on a separate admin listener. Without
	// it /metrics is not served at all, unless MetricsOnTokenListener.
	MetricsListen string `yaml:"metrics_listen"`
	// MetricsOnTokenListener also serves /metrics on the public token
	// listener (off by default: everyone who reaches the token port could
	// read it).
	MetricsOnTokenListener bool `yaml:"metrics_on_token_listener"`
	// AuditKeyFile holds the key (at least 32 bytes) of the audit log's
	// credential_hash, for replicas whose hashes must agree. It must not be
	// readable by the readers of the audit log. Without it each process
	// draws a random key.
	AuditKeyFile string `yaml:"audit_key_file"`
	// Audit is "stdout", "stderr", a file path, or "" for none.
	Audit string `yaml:"audit"`
	// AuditFailure is what issuance does while audit records cannot be
	// written: continue (default) or fail_closed (503 instead of a token
	// without its record). docs/operations.md says why continue is the
	// default.
	AuditFailure bridge.AuditFailure `yaml:"audit_failure"`
	// Pprof serves Go's profiler under /debug/pprof/ on the admin listener
	// (metrics_listen); never on the token listener.
	Pprof bool `yaml:"pprof"`
}

// ReloadConfig controls live reload.
type ReloadConfig struct {
	// Watch polls the config and policy files for changes (default true).
	Watch *bool `yaml:"watch"`
	// Interval between polls (default 2s).
	Interval time.Duration `yaml:"interval"`
}

// loadConfig reads path strictly: unknown keys, type errors and invalid
// values are all reported together with file and line. Environment
// variables with the REGBRIDGE_ prefix override file values.
func loadConfig(path string, env map[string]string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return parseConfig(raw, path, env)
}

func parseConfig(raw []byte, path string, env map[string]string) (*Config, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, &configError{problems: []string{syntaxProblem(path, raw, err)}}
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: the configuration file is empty", path)
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: the configuration must be a mapping of keys", path, root.Line)
	}
	used := applyEnv(root, reflect.TypeOf(Config{}), env)
	if p := unknownEnv(root, reflect.TypeOf(Config{}), env, used); len(p) > 0 {
		return nil, &configError{problems: p}
	}
	cfg := &Config{file: path, lines: map[string]int{}}
	decodeErr := decodeStrict(path, root, cfg)
	cfg.recordLines(root)
	cfg.resolvePaths(filepath.Dir(path))
	if err := joinProblems(cfg, decodeErr, cfg.validate(root)); err != nil {
		return nil, err
	}
	return cfg, nil
}

// resolvePaths makes file paths relative to the config file's directory.
func (c *Config) resolvePaths(dir string) {
	abs := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	abs(&c.Policy)
	abs(&c.DataDir)
	abs(&c.StateDir)
	for i := range c.Keys {
		abs(&c.Keys[i].PrivateKey)
		abs(&c.Keys[i].Certificate)
	}
	abs(&c.TLS.Certificate)
	abs(&c.TLS.PrivateKey)
	abs(&c.TLS.ClientCA)
	abs(&c.State.PasswordFile)
	abs(&c.Observe.AuditKeyFile)
}

// at prefixes msg with the file and the line of top-level key.
func (c *Config) at(key, format string, args ...any) string {
	if l := c.lines[key]; l > 0 {
		return fmt.Sprintf("%s:%d: %s", c.file, l, fmt.Sprintf(format, args...))
	}
	return fmt.Sprintf("%s: %s", c.file, fmt.Sprintf(format, args...))
}

// validate checks values without I/O and without changing anything.
func (c *Config) validate(root *yaml.Node) error {
	var p []string
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p = append(p, c.at("public_url", "public_url %q must be an absolute http(s) URL", c.PublicURL))
		}
	}
	if c.TokenPath != "" && !strings.HasPrefix(c.TokenPath, "/") {
		p = append(p, c.at("token_path", "token_path %q must start with /", c.TokenPath))
	}
	if len(c.Services) == 0 {
		p = append(p, c.at("services", "services: at least one registry service is required"))
	}
	svcNodes := mapValue(root, "services")
	for i, s := range c.Services {
		if err := s.WithDefaults().Validate(); err != nil {
			line := 0
			if svcNodes != nil && i < len(svcNodes.Content) {
				line = svcNodes.Content[i].Line
			}
			for _, e := range strings.Split(err.Error(), "\n") {
				l := line
				if key, _, ok := strings.Cut(e, ":"); ok && svcNodes != nil && i < len(svcNodes.Content) {
					if k := mapKey(svcNodes.Content[i], key); k != nil {
						l = k.Line
					}
				}
				p = append(p, fmt.Sprintf("%s:%d: services[%d]: %s", c.file, l, i, e))
			}
		}
	}
	if len(c.Keys) == 0 {
		p = append(p, c.at("keys", "keys: at least one signing key is required; create one with `regbridge keygen`"))
	}
	for i, k := range c.Keys {
		if k.PrivateKey == "" {
			p = append(p, c.at("keys", "keys[%d].private_key: required", i))
		}
	}
	if c.Policy == "" {
		p = append(p, c.at("policy", "policy: the policy file is required"))
	}
	if err := c.Cache.Validate(); err != nil {
		p = append(p, c.at("cache", "cache: %v", err))
	}
	if err := c.TokenReuse.WithDefaults().Validate(); err != nil && c.TokenReuse.Enabled {
		p = append(p, c.at("token_reuse", "token_reuse: %v", err))
	}
	if err := c.Shutdown.validate(); err != nil {
		p = append(p, c.at("shutdown", "%v", err))
	}
	if c.Observe.Pprof && c.Observe.MetricsListen == "" {
		p = append(p, c.at("observability", "observability.pprof needs observability.metrics_listen: the profiler is served on the admin listener only"))
	}
	if err := c.Observe.AuditFailure.Validate(); err != nil {
		p = append(p, c.at("observability", "observability.audit_failure: %v", err))
	}
	if (c.TLS.Certificate == "") != (c.TLS.PrivateKey == "") {
		p = append(p, c.at("tls", "tls: certificate and private_key go together"))
	}
	if c.TLS.ClientCA != "" && c.TLS.Certificate == "" {
		p = append(p, c.at("tls", "tls.client_ca needs tls.certificate and tls.private_key"))
	}
	p = append(p, c.discoveryProblems()...)
	p = append(p, c.rateLimitProblems()...)
	p = append(p, c.keyStateProblems()...)
	for _, e := range c.State.problems() {
		p = append(p, c.at("state", "%s", e))
	}
	if len(p) > 0 {
		return &configError{problems: p}
	}
	return nil
}
