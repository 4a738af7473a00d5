package main

import (
	"net"
	"strings"
	"time"

	"github.com/regbridge/regbridge/bridge"
)

// Defaults of the top-level settings, each written here once.
const (
	// defaultListen is the token listener's address without `listen`.
	defaultListen = ":5001"
	// defaultReloadInterval is how often watched files are polled.
	defaultReloadInterval = 2 * time.Second
)

// listenAddr is the token listener's address.
func (c *Config) listenAddr() string {
	if c.Listen == "" {
		return defaultListen
	}
	return c.Listen
}

// tokenPath is the realm path.
func (c *Config) tokenPath() string {
	if c.TokenPath == "" {
		return bridge.DefaultTokenPath
	}
	return c.TokenPath
}

func (c *Config) watchEnabled() bool { return c.Reload.Watch == nil || *c.Reload.Watch }

func (c *Config) reloadInterval() time.Duration {
	if c.Reload.Interval > 0 {
		return c.Reload.Interval
	}
	return defaultReloadInterval
}

// realm is the token URL for the registry stanza.
func (c *Config) realm() string {
	base := strings.TrimRight(c.PublicURL, "/")
	if base == "" {
		base = "http://localhost" + portOf(c.listenAddr())
	}
	return base + c.tokenPath()
}

// portOf is ":port" of a listen address, "" when it has none.
func portOf(listen string) string {
	if _, port, err := net.SplitHostPort(listen); err == nil {
		return ":" + port
	}
	return ""
}
