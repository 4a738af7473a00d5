package main

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"gopkg.in/yaml.v3"

	"github.com/regbridge/regbridge/acl"
	"github.com/regbridge/regbridge/bridge"
	"github.com/regbridge/regbridge/bridge/signing"
	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/authority"
	"github.com/regbridge/regbridge/providers/gitea"
	"github.com/regbridge/regbridge/providers/github"
	"github.com/regbridge/regbridge/providers/gitlab"
	"github.com/regbridge/regbridge/providers/oidc"
	"github.com/regbridge/regbridge/providers/sourcehut"
	"github.com/regbridge/regbridge/providers/static"
)

// factory builds one provider from its configuration entry.
type factory func(file, id string, node *yaml.Node, deps providers.Deps) (providers.Provider, error)

// validator is what every provider Config implements.
type validator interface{ Validate() error }

// pathKeyer is implemented by provider Configs with path-valued keys whose
// names do not end in "_file" (static: htpasswd, robots, groups).
type pathKeyer interface{ PathKeys() []string }

// adapt turns a provider package's New into a factory: it makes the entry's
// paths relative to the configuration file, decodes the entry strictly into
// the package's Config, validates it and builds the provider.
func adapt[C validator, P providers.Provider](newFn func(string, C, providers.Deps) (P, error)) factory {
	return func(file, id string, node *yaml.Node, deps providers.Deps) (providers.Provider, error) {
		var cfg C
		var keys []string
		if pk, ok := any(cfg).(pathKeyer); ok {
			keys = pk.PathKeys()
		}
		resolveProviderPaths(node, filepath.Dir(file), keys)
		if err := decodeStrict(file, node, &cfg, "id", "type", "refresh"); err != nil {
			return nil, err
		}
		if err := cfg.Validate(); err != nil {
			return nil, indent(err)
		}
		return newFn(id, cfg, deps)
	}
}

// providerFactories maps each provider `type` to its constructor.
func providerFactories() map[string]factory {
	return map[string]factory{
		"static":    adapt(static.New),
		"sourcehut": adapt(sourcehut.New),
		"oidc":      adapt(oidc.New),
		"authority": adapt(authority.New),
		"gitea":     adapt(gitea.New),
		"forgejo":   adapt(gitea.NewForgejo),
		"gitlab":    adapt(gitlab.New),
		"github":    adapt(github.New),
	}
}

func indent(err error) error {
	return errors.New(strings.ReplaceAll(err.Error(), "\n", "; "))
}

// built is everything a configuration turns into.
type built struct {
	cfg       *Config
	keys      []*signing.Key
	providers []*bridge.Registered
	facts     map[string]providers.PolicyFacts
	policy    *acl.Policy
	refresh   map[string]bridge.RefreshPolicy
}

// buildProviders constructs every provider entry. It does no network I/O.
func buildProviders(cfg *Config, factories map[string]factory, deps providers.Deps) ([]*bridge.Registered, map[string]providers.PolicyFacts, error) {
	var out []*bridge.Registered
	facts := map[string]providers.PolicyFacts{}
	var p []string
	for i := range cfg.Providers {
		node := &cfg.Providers[i]
		id, typ := mapValue(node, "id"), mapValue(node, "type")
		where := fmt.Sprintf("%s:%d: providers[%d]", cfg.file, node.Line, i)
		if id == nil || id.Value == "" || typ == nil || typ.Value == "" {
			p = append(p, where+": id and type are required")
			continue
		}
		if !providerIDRE(id.Value) {
			p = append(p, fmt.Sprintf("%s (%s): id must be lower-case letters, digits and '-'", where, id.Value))
			continue
		}
		if _, dup := facts[id.Value]; dup {
			p = append(p, fmt.Sprintf("%s: id %q is used twice", where, id.Value))
			continue
		}
		f, ok := factories[typ.Value]
		if !ok {
			names := make([]string, 0, len(factories))
			for n := range factories {
				names = append(names, n)
			}
			slices.Sort(names)
			p = append(p, fmt.Sprintf("%s: unknown type %q (known: %s)", where, typ.Value, strings.Join(names, ", ")))
			continue
		}
		d := deps
		if d.Logger != nil {
			d.Logger = d.Logger.With(slog.String("provider", id.Value))
		}
		prov, err := f(cfg.file, id.Value, node, d)
		if err != nil {
			var ce *configError
			if errors.As(err, &ce) {
				p = append(p, ce.problems...)
			} else {
				p = append(p, fmt.Sprintf("%s (%s): %v", where, id.Value, err))
			}
			continue
		}
		fact := providers.PolicyFacts{Type: typ.Value}
		if d, ok := prov.(providers.Describer); ok {
			fact = d.PolicyFacts()
		}
		facts[id.Value] = fact
		out = append(out, &bridge.Registered{ID: id.Value, Provider: prov})
	}
	if len(p) > 0 {
		return nil, nil, &configError{problems: p}
	}
	return out, facts, nil
}

// resolveProviderPaths makes file paths in a provider entry relative to the
// configuration file's directory: the values of keys ending in "_file" and
// of the keys the provider's Config declares (pathKeyer).
func resolveProviderPaths(node *yaml.Node, dir string, keys []string) {
	if dir == "" || node.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, v := node.Content[i].Value, node.Content[i+1]
		isPath := strings.HasSuffix(k, "_file") || slices.Contains(keys, k)
		if isPath && v.Kind == yaml.ScalarNode && v.Value != "" && !filepath.IsAbs(v.Value) {
			v.Value = filepath.Join(dir, v.Value)
		}
	}
}

func providerIDRE(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// loadKeys reads every configured key.
func loadKeys(cfg *Config) ([]*signing.Key, error) {
	var keys []*signing.Key
	var p []string
	for i, k := range cfg.Keys {
		key, err := signing.LoadKey(k.PrivateKey, k.Certificate, jose.SignatureAlgorithm(k.Algorithm))
		if err != nil {
			if m := cfg.missingKeyProblem(i); m != "" {
				p = append(p, m)
			} else {
				p = append(p, cfg.atPath(fmt.Sprintf("keys.%d", i), "keys[%d]: %v", i, err))
			}
			continue
		}
		keys = append(keys, key)
	}
	if len(p) > 0 {
		return nil, &configError{problems: p}
	}
	return keys, nil
}

// build turns a loaded configuration into keys, providers and a policy,
// reporting every problem at once. It does no network I/O.
func build(cfg *Config, factories map[string]factory, deps providers.Deps) (*built, error) {
	var problems []string
	add := func(err error) {
		if err == nil {
			return
		}
		var ce *configError
		var le *acl.LoadError
		switch {
		case errors.As(err, &ce):
			problems = append(problems, ce.problems...)
		case errors.As(err, &le):
			for _, pr := range le.Problems {
				problems = append(problems, pr.String())
			}
		default:
			problems = append(problems, err.Error())
		}
	}
	b := &built{cfg: cfg}
	var err error
	b.keys, err = loadKeys(cfg)
	add(err)
	b.providers, b.facts, err = buildProviders(cfg, factories, deps)
	add(err)
	if cfg.PublicURL == "" {
		for _, reg := range b.providers {
			if r, ok := reg.Provider.(providers.Router); ok && slices.Contains(r.Route().Schemes, string(providers.SchemeDPoP)) {
				problems = append(problems, cfg.at("public_url", "public_url is required: provider %q checks DPoP proofs against it (htu)", reg.ID))
			}
		}
	}
	if m := cfg.missingPolicyProblem(); m != "" {
		problems = append(problems, m)
	} else if err == nil {
		b.policy, err = loadPolicy(cfg, b.facts)
		add(err)
		b.refresh, err = refreshPolicies(cfg, b.providers, b.facts)
		add(err)
	}
	if len(problems) > 0 {
		return nil, &configError{problems: problems}
	}
	return b, nil
}

func loadPolicy(cfg *Config, facts map[string]providers.PolicyFacts) (*acl.Policy, error) {
	names := make([]string, len(cfg.Services))
	for i, s := range cfg.Services {
		names[i] = s.Name
	}
	return acl.Load(cfg.Policy, acl.Options{Providers: facts, Services: names})
}

// state makes a bridge.State of b with the given cache.
func (b *built) state(cache *bridge.CredentialCache) (*bridge.State, error) {
	return bridge.NewState(bridge.StateConfig{
		Services:  b.cfg.Services,
		Keys:      b.keys,
		Providers: b.providers,
		Policy:    b.policy,
		Cache:     cache,
		Refresh:   b.refresh,
	})
}

// defaultReloadInterval is how often watched files are polled.
const defaultReloadInterval = 2 * time.Second
