package main

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
)

// absPath makes a non-empty path absolute: a registry resolves a relative
// rootcertbundle or jwks against its own working directory, not regbridge's.
func absPath(p string) (string, error) {
	if p == "" {
		return "", nil
	}
	a, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("registry-config: %w", err)
	}
	return a, nil
}

// missingFile is the absolute path, next to the configuration file, of a
// file the stanza needs but registry-config was not asked to write, and a
// YAML comment saying how to write it.
func missingFile(cfg *Config, name, flag string) (string, string) {
	dir, err := filepath.Abs(filepath.Dir(cfg.file))
	if err != nil {
		dir = filepath.Dir(cfg.file)
	}
	path := filepath.Join(dir, name)
	conf, err := filepath.Abs(cfg.file)
	if err != nil {
		conf = cfg.file
	}
	return path, fmt.Sprintf("# %s does not exist yet: write it with\n#   regbridge %s %s --config %s\n", path, flag, path, conf)
}

// realmWarnings names the clients that refuse realm when its host is an
// IP literal they guard against: crane ≥ 0.21.4 refuses loopback, private,
// link-local and unspecified literals, oras ≥ 1.3.6 loopback, link-local
// and unspecified ones, each unless the registry is addressed by the same
// host. docker, podman and skopeo accept them.
func realmWarnings(realm string) []string {
	u, err := url.Parse(realm)
	if err != nil {
		return nil
	}
	ip := net.ParseIP(u.Hostname())
	if ip == nil {
		return nil
	}
	var kind, clients string
	switch {
	case ip.IsLoopback(), ip.IsLinkLocalUnicast(), ip.IsUnspecified():
		kind, clients = "loopback, link-local or unspecified", "crane ≥ 0.21.4 and oras ≥ 1.3.6 refuse it"
	case ip.IsPrivate():
		kind, clients = "private", "crane ≥ 0.21.4 refuses it"
	default:
		return nil
	}
	return []string{fmt.Sprintf("realm %s is on a %s IP literal: %s unless the registry is reached at the same host (docker, podman and skopeo accept it); put public_url on a DNS name", realm, kind, clients)}
}
