package main

import (
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/urfave/cli/v2"

	"github.com/regbridge/regbridge/bridge"
	"github.com/regbridge/regbridge/bridge/signing"
)

func keygenCommand() *cli.Command {
	return &cli.Command{
		Name:  "keygen",
		Usage: "create a signing key (mode 0600) and a self-signed certificate for the registry's rootcertbundle",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "key", Value: "signing-key.pem", Usage: "private key file to create"},
			&cli.StringFlag{Name: "cert", Value: "signing-cert.pem", Usage: "certificate file to write"},
			&cli.StringFlag{Name: "alg", Value: "ES256", Usage: "ES256 or RS256"},
			&cli.StringFlag{Name: "cn", Value: "regbridge", Usage: "certificate common name"},
			&cli.DurationFlag{Name: "validity", Value: 5 * 365 * 24 * time.Hour, Usage: "certificate lifetime (distribution 2.8 checks it on every token)"},
		},
		Action: func(c *cli.Context) error {
			signer, cert, err := signing.GenerateKey(jose.SignatureAlgorithm(c.String("alg")), c.String("cn"), c.Duration("validity"), time.Now(), nil)
			if err != nil {
				return err
			}
			if err := signing.WriteKeyFiles(c.String("key"), c.String("cert"), signer, cert); err != nil {
				return err
			}
			key, err := signing.NewKey(signer, cert, "")
			if err != nil {
				return err
			}
			fmt.Fprintf(c.App.Writer, "wrote %s (%s, kid %s) and %s, valid until %s\n",
				c.String("key"), key.Algorithm, key.KeyID, c.String("cert"), cert.NotAfter.UTC().Format(time.RFC3339))
			return nil
		},
	}
}

func jwksCommand() *cli.Command {
	return &cli.Command{
		Name:  "jwks",
		Usage: "print the JWKS of the configured keys, for a 3.x registry's auth.token.jwks",
		Flags: []cli.Flag{configFlag},
		Action: func(c *cli.Context) error {
			cfg, err := loadConfigFlag(c)
			if err != nil {
				return err
			}
			keys, err := loadKeys(cfg)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(c.App.Writer)
			enc.SetIndent("", "  ")
			return enc.Encode(signing.JWKS(keys))
		},
	}
}

func registryConfigCommand() *cli.Command {
	return &cli.Command{
		Name:  "registry-config",
		Usage: "print the registry's auth: token: stanza for a service, ready to paste",
		Flags: []cli.Flag{
			configFlag,
			&cli.StringFlag{Name: "service", Usage: "service name (default: the only one configured)"},
			&cli.StringFlag{Name: "bundle", Usage: "write the certificates of every key to this file and point rootcertbundle at it"},
			&cli.StringFlag{Name: "jwks", Usage: "write the JWKS to this file and point jwks at it (header: kid services)"},
		},
		Action: func(c *cli.Context) error {
			cfg, err := loadConfigFlag(c)
			if err != nil {
				return err
			}
			svc, err := pickService(cfg, c.String("service"))
			if err != nil {
				return err
			}
			keys, err := loadKeys(cfg)
			if err != nil {
				return err
			}
			bundle, err := absPath(c.String("bundle"))
			if err != nil {
				return err
			}
			jwksFile, err := absPath(c.String("jwks"))
			if err != nil {
				return err
			}
			var note string
			if bundle != "" {
				if err := writeBundle(bundle, keys); err != nil {
					return err
				}
			} else if len(keys) == 1 {
				if bundle, err = filepath.Abs(cfg.Keys[0].Certificate); err != nil {
					return err
				}
			} else {
				bundle, note = missingFile(cfg, "bundle.pem", "registry-config --bundle")
			}
			if jwksFile != "" {
				b, _ := json.MarshalIndent(signing.JWKS(keys), "", "  ")
				if err := os.WriteFile(jwksFile, b, 0o644); err != nil {
					return err
				}
			} else if svc.WithDefaults().Header == signing.HeaderKID {
				jwksFile, note = missingFile(cfg, "jwks.json", "registry-config --jwks")
			}
			for _, w := range realmWarnings(cfg.realm()) {
				fmt.Fprintln(c.App.ErrWriter, "warning:", w)
			}
			fmt.Fprint(c.App.Writer, note)
			fmt.Fprint(c.App.Writer, registryStanza(cfg, svc, bundle, jwksFile))
			return nil
		},
	}
}

func loadConfigFlag(c *cli.Context) (*Config, error) {
	path := c.String("config")
	if path == "" {
		return nil, fmt.Errorf("--config is required")
	}
	return loadConfig(path, environ())
}

func pickService(cfg *Config, name string) (*bridge.Service, error) {
	if name == "" && len(cfg.Services) == 1 {
		return &cfg.Services[0], nil
	}
	var names []string
	for i := range cfg.Services {
		if cfg.Services[i].Name == name {
			return &cfg.Services[i], nil
		}
		names = append(names, cfg.Services[i].Name)
	}
	return nil, fmt.Errorf("--service %q: configured services are %s", name, strings.Join(names, ", "))
}

func writeBundle(path string, keys []*signing.Key) error {
	var b strings.Builder
	for _, k := range keys {
		if k.Certificate == nil {
			return fmt.Errorf("key %s has no certificate; add `certificate:` to its entry", k.Source)
		}
		pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: k.Certificate.Raw})
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// registryStanza renders the registry configuration that trusts this
// server for svc.
func registryStanza(cfg *Config, svc *bridge.Service, bundle, jwksFile string) string {
	s := svc.WithDefaults()
	var b strings.Builder
	b.WriteString("auth:\n  token:\n")
	fmt.Fprintf(&b, "    realm: %s\n    service: %s\n    issuer: %s\n", cfg.realm(), s.Name, s.Issuer)
	if s.Header == signing.HeaderKID {
		fmt.Fprintf(&b, "    jwks: %s\n", jwksFile)
		b.WriteString("    # 3.x needs rootcertbundle unset (empty) when only jwks is used\n")
	} else {
		fmt.Fprintf(&b, "    rootcertbundle: %s\n", bundle)
	}
	return b.String()
}
