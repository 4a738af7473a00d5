package main

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"gopkg.in/yaml.v3"

	"github.com/regbridge/regbridge/state"
)

// StateConfig says where replicas share state: the DPoP jti and single-use
// ID token replay sets. Without a URL each replica keeps its own set in
// memory, and a proof or single-use token refused by one replica can be
// accepted once more by another.
//
//	state: {url: "redis://redis.regbridge.svc:6379/0", password_file: /run/secrets/redis-password}
//	state: redis://127.0.0.1:6379/0     # the same without options
type StateConfig struct {
	// URL is redis://[user[:password]@]host[:port][/db] or rediss://… for
	// TLS. Empty keeps the replay sets in memory.
	URL string `yaml:"url"`
	// PasswordFile holds the Redis password (a Kubernetes Secret); it MUST
	// NOT be combined with a password in the URL.
	PasswordFile string `yaml:"password_file"`
	// KeyPrefix starts every key (default "regbridge:replay:").
	// Deployments sharing one Redis database MUST use different prefixes.
	KeyPrefix string `yaml:"key_prefix"`
	// Timeout bounds one Redis command (default 1s). A request whose replay
	// check times out is answered 503 with Retry-After, never accepted.
	Timeout time.Duration `yaml:"timeout"`
}

// Limits on the state settings.
const (
	maxStateTimeout   = 30 * time.Second
	maxStateKeyPrefix = 128
)

// UnmarshalYAML accepts the mapping form and a plain URL string.
func (s *StateConfig) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		if len(n.Content) > 0 {
			// An environment override of a state.* key was attached to a
			// plain URL; refuse rather than drop it.
			return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: state: REGBRIDGE_STATE_* overrides need the mapping form of state (state: {url: …})", n.Line)}}
		}
		if n.Tag == "!!null" {
			*s = StateConfig{}
			return nil
		}
		if n.Tag != "!!str" {
			return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: state: want a redis:// URL or a mapping with url", n.Line)}}
		}
		*s = StateConfig{URL: n.Value}
		return nil
	}
	type plain StateConfig
	return n.Decode((*plain)(s))
}

// enabled reports whether a shared store is configured.
func (s StateConfig) enabled() bool { return s.URL != "" }

// problems checks the settings without I/O and without changing them; each
// problem names its key.
func (s StateConfig) problems() []string {
	var p []string
	if !s.enabled() {
		if s.PasswordFile != "" || s.KeyPrefix != "" || s.Timeout != 0 {
			p = append(p, "state.url: required when state.password_file, state.key_prefix or state.timeout is set")
		}
		return p
	}
	ep, err := state.ParseURL(s.URL)
	if err != nil {
		p = append(p, strings.Replace(err.Error(), "state: url:", "state.url:", 1))
	} else if ep.Password != "" && s.PasswordFile != "" {
		p = append(p, "state.password_file: the URL holds a password already; give it in one place only")
	}
	if s.Timeout < 0 || s.Timeout > maxStateTimeout {
		p = append(p, fmt.Sprintf("state.timeout: %v is out of range (0 for the default 1s, at most %v)", s.Timeout, maxStateTimeout))
	} else if s.Timeout > 0 && s.Timeout < time.Millisecond {
		p = append(p, fmt.Sprintf("state.timeout: %v is below 1ms", s.Timeout))
	}
	if len(s.KeyPrefix) > maxStateKeyPrefix {
		p = append(p, fmt.Sprintf("state.key_prefix: longer than %d bytes", maxStateKeyPrefix))
	}
	if strings.IndexFunc(s.KeyPrefix, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0 {
		p = append(p, "state.key_prefix: must not contain spaces or control characters")
	}
	return p
}
