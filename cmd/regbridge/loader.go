package main

import (
	"strings"
	"time"

	"github.com/regbridge/regbridge/bridge"
	"github.com/regbridge/regbridge/providers"
)

// prepare is the one path from a loaded configuration to the state a
// server runs on, shared by check, explain, serve and reload, so that
// whatever serve refuses, check refuses too. It reads the files the
// configuration names but does no network I/O. cache is kept when given
// (a reload that changed neither the configuration nor a provider file).
func prepare(cfg *Config, deps providers.Deps, cache *bridge.CredentialCache) (*bridge.State, *built, error) {
	b, err := buildForConfig(cfg, deps)
	if err != nil {
		return nil, nil, err
	}
	var problems []string
	if _, err := readAuditKey(cfg.Observe.AuditKeyFile); err != nil {
		problems = append(problems, cfg.at("observability", "%v", err))
	}
	if cache == nil {
		now := deps.Now
		if now == nil {
			now = time.Now
		}
		cache = bridge.NewCredentialCache(cfg.Cache.WithDefaults(), now)
	}
	st, err := b.state(cache)
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			problems = append(problems, cfg.at("services", "%s", line))
		}
	}
	if len(problems) > 0 {
		return nil, nil, &configError{problems: problems}
	}
	return st, b, nil
}

// listenerProblems are what serve refuses when it opens its listener
// (the TLS files), for check; a reload never changes the listener.
func listenerProblems(cfg *Config) error {
	if cfg.TLS.Certificate == "" {
		return nil
	}
	if _, err := tlsConfig(cfg.TLS); err != nil {
		return &configError{problems: []string{cfg.at("tls", "%v", err)}}
	}
	return nil
}

// providerFiles lists every file the built providers read, for the
// watcher.
func (b *built) providerFiles() []string {
	var out []string
	for _, reg := range b.providers {
		if fr, ok := reg.Provider.(providers.FileReader); ok {
			out = append(out, fr.Files()...)
		}
	}
	return out
}
