package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/urfave/cli/v2"

	"github.com/regbridge/regbridge/acl"
	"github.com/regbridge/regbridge/bridge"
	"github.com/regbridge/regbridge/bridge/signing"
	"github.com/regbridge/regbridge/providers"
)

// quickStartListen is where the quick-start listens unless told otherwise:
// loopback only, since its policy lets anyone pull everything.
const quickStartListen = "127.0.0.1:5001"

// quickStartConfig is the built-in configuration of `regbridge serve` with
// no config file: one service, a key created in the data directory on first
// start, no providers, and a policy that lets anyone pull everything. The
// listen address and public URL come from --listen and --public-url, else
// from REGBRIDGE_LISTEN and REGBRIDGE_PUBLIC_URL in env, as with a file.
func quickStartConfig(c *cli.Context, env map[string]string, out io.Writer) (*Config, error) {
	dir, err := filepath.Abs(c.String("data-dir"))
	if err != nil {
		return nil, err
	}
	keyPath, certPath := filepath.Join(dir, "signing-key.pem"), filepath.Join(dir, "signing-cert.pem")
	if _, err := os.Stat(keyPath); errors.Is(err, fs.ErrNotExist) {
		signer, cert, err := signing.GenerateKey(jose.ES256, "regbridge quick-start", 5*365*24*time.Hour, time.Now(), nil)
		if err != nil {
			return nil, err
		}
		if err := signing.WriteKeyFiles(keyPath, certPath, signer, cert); err != nil {
			return nil, err
		}
		fmt.Fprintf(out, "created signing key %s and certificate %s\n", keyPath, certPath)
	} else if err != nil {
		return nil, err
	}
	cfg := &Config{
		Listen:    c.String("listen"),
		PublicURL: c.String("public-url"),
		DataDir:   dir,
		Services:  []bridge.Service{{Name: c.String("service"), Issuer: "regbridge"}},
		Keys:      []KeyConfig{{PrivateKey: keyPath, Certificate: certPath}},
	}
	if cfg.Listen == "" {
		cfg.Listen = env[EnvPrefix+"LISTEN"]
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = env[EnvPrefix+"PUBLIC_URL"]
	}
	if cfg.Listen == "" {
		cfg.Listen = quickStartListen
	}
	fmt.Fprintf(out, "\nquick-start: anyone may pull every repository; nobody may push.\n")
	fmt.Fprintf(out, "Listening on %s%s.\n", cfg.Listen, listenScope(cfg.Listen))
	fmt.Fprintf(out, "Add this to the registry's config.yml (distribution 2.8 or 3.x):\n\n%s\n", registryStanza(cfg, &cfg.Services[0], certPath, ""))
	fmt.Fprintf(out, "For your own users and rules, write a regbridge.yaml (see README) and run `regbridge serve --config regbridge.yaml`.\n\n")
	return cfg, nil
}

// listenScope says who can reach a listener on addr.
func listenScope(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		return " (this machine only; --listen :5001 or REGBRIDGE_LISTEN=:5001 accepts other hosts)"
	}
	if host == "" || (net.ParseIP(host) != nil && net.ParseIP(host).IsUnspecified()) {
		return " (every interface)"
	}
	return ""
}

// buildForConfig builds a configuration; the quick-start (no file) gets the
// built-in policy instead of a policy file.
func buildForConfig(cfg *Config, deps providers.Deps) (*built, error) {
	if cfg.file != "" {
		return build(cfg, providerFactories(), deps)
	}
	keys, err := loadKeys(cfg)
	if err != nil {
		return nil, err
	}
	return &built{cfg: cfg, keys: keys, policy: acl.QuickStart(), facts: map[string]providers.PolicyFacts{}}, nil
}

// policyFile is the policy file of b ("" for the quick-start).
func (b *built) policyFile() string { return b.cfg.Policy }
