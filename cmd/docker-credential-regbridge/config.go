package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/regbridge/regbridge/providers/upstream"
)

// Config is credential-helper.yaml: per registry host, where its credential
// comes from.
//
//	registries:
//	  registry.example.com:
//	    source: github-actions
type Config struct {
	Registries map[string]Registry `yaml:"registries"`
}

// Registry is how one registry host gets its credential.
type Registry struct {
	// Source is one of the sources below; "auto" (the default) detects the
	// CI system from its environment and falls back to a stored login.
	Source string `yaml:"source"`
	// Audience is requested from github-actions and buildkite; default:
	// the first audience regbridge's metadata lists for the source's issuer.
	Audience string `yaml:"audience"`
	// Issuer overrides the issuer a github-actions or buildkite token is
	// expected from (GHES, GHE.com), for choosing the audience.
	Issuer string `yaml:"issuer"`
	// Variable is the environment variable of gitlab-ci (the id_tokens
	// name, default REGBRIDGE_ID_TOKEN) and env.
	Variable string `yaml:"variable"`
	// File is read by kubernetes (default
	// /var/run/secrets/regbridge/token) and file.
	File string `yaml:"file"`
	// Command is run, without a shell, by command; its stdout is the token.
	Command []string `yaml:"command"`
	// BuildkiteAgent is the buildkite-agent binary (default: from PATH).
	BuildkiteAgent string `yaml:"buildkite_agent"`
	// Username is the Basic username handed out with the token (default
	// "regbridge"; regbridge routes JWTs by issuer, not by username).
	Username string `yaml:"username"`
	// PlainHTTP talks http to the registry; loopback hosts only.
	PlainHTTP bool `yaml:"plain_http"`
	// KubeletCacheMax caps the kubelet's cache duration (default 5m); it is
	// never longer than the token lives.
	KubeletCacheMax time.Duration `yaml:"kubelet_cache_max"`
}

// The sources.
const (
	sourceAuto          = "auto"
	sourceGitHubActions = "github-actions"
	sourceGitLabCI      = "gitlab-ci"
	sourceBuildkite     = "buildkite"
	sourceCircleCI      = "circleci"
	sourceKubernetes    = "kubernetes"
	sourceFile          = "file"
	sourceEnv           = "env"
	sourceCommand       = "command"
	sourceLogin         = "login"
)

var sources = []string{sourceAuto, sourceGitHubActions, sourceGitLabCI, sourceBuildkite, sourceCircleCI,
	sourceKubernetes, sourceFile, sourceEnv, sourceCommand, sourceLogin}

// Defaults.
const (
	defaultUsername        = "regbridge"
	defaultGitLabVariable  = "REGBRIDGE_ID_TOKEN"
	defaultKubernetesToken = "/var/run/secrets/regbridge/token"
	defaultKubeletCacheMax = 5 * time.Minute
)

func (r Registry) username() string {
	if r.Username == "" {
		return defaultUsername
	}
	return r.Username
}

func (r Registry) source() string {
	if r.Source == "" {
		return sourceAuto
	}
	return r.Source
}

// maxConfig caps the configuration file.
const maxConfig = 1 << 20

// loadConfig reads path strictly: unknown keys and bad values are errors,
// all reported together; a missing file is an error.
func loadConfig(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxConfig+1))
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if len(b) > maxConfig {
		return nil, fmt.Errorf("config: %s is larger than %d bytes", path, maxConfig)
	}
	return parseConfig(b, path)
}

func parseConfig(b []byte, path string) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("config: %s is empty", path)
		}
		return nil, fmt.Errorf("config: %s: %w", path, err)
	}
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("config: %s: %w", path, err)
	}
	return &c, nil
}

// validate reports every problem; it does no I/O.
func (c *Config) validate() error {
	var errs []error
	hosts := make([]string, 0, len(c.Registries))
	for h := range c.Registries {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	for _, host := range hosts {
		r := c.Registries[host]
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("registries.%s: "+format, append([]any{host}, args...)...))
		}
		if err := checkHost(host); err != nil {
			bad("%v", err)
		}
		if !slices.Contains(sources, r.source()) {
			bad("source %q is not one of %s", r.Source, strings.Join(sources, ", "))
		}
		switch r.source() {
		case sourceFile:
			if r.File == "" {
				bad("source file needs file")
			}
		case sourceEnv:
			if r.Variable == "" {
				bad("source env needs variable")
			}
		case sourceCommand:
			if len(r.Command) == 0 || r.Command[0] == "" {
				bad("source command needs command (an argv list)")
			}
		}
		if r.File != "" && !filepath.IsAbs(r.File) {
			bad("file %q must be an absolute path", r.File)
		}
		if r.Issuer != "" {
			if _, err := upstream.CheckURL(r.Issuer, false); err != nil {
				bad("issuer: %v", err)
			}
		}
		if r.PlainHTTP && !upstream.IsLoopback(hostOnly(host)) {
			bad("plain_http is allowed for loopback registries only")
		}
		if r.KubeletCacheMax < 0 {
			bad("kubelet_cache_max must not be negative")
		}
	}
	return errors.Join(errs...)
}

// checkHost accepts a lower-case host or host:port.
func checkHost(host string) error {
	if host == "" || host != strings.ToLower(host) {
		return errors.New("the registry host must be lower case and not empty")
	}
	if strings.ContainsAny(host, "/@?#* ") {
		return errors.New("the registry key is a host[:port], not a URL or a pattern")
	}
	return nil
}

// hostOnly strips the port of host:port.
func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.Trim(hostport, "[]")
}
