package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/regbridge/regbridge/acl"
	"github.com/regbridge/regbridge/providers"
)

func checkCommand() *cli.Command {
	return &cli.Command{
		Name:  "check",
		Usage: "validate the configuration, keys, providers and policy (lints and inline tests), offline",
		Flags: []cli.Flag{
			configFlag,
			&cli.StringFlag{Name: "policy", Usage: "check this policy file (with --config: instead of the configured one)"},
		},
		Action: func(c *cli.Context) error {
			pol, cfg, err := loadForOffline(c)
			if err != nil {
				return err
			}
			what := "policy " + pol.Source()
			if cfg != nil {
				what = cfg.file + " and " + what
			}
			fmt.Fprintf(c.App.Writer, "ok: %s load, lint clean, inline tests pass\n", what)
			return nil
		},
	}
}

// loadForOffline loads the configuration (when given) and the policy without
// any network I/O, reporting every problem at once.
func loadForOffline(c *cli.Context) (*acl.Policy, *Config, error) {
	path, policy := c.String("config"), c.String("policy")
	if path == "" && policy == "" {
		return nil, nil, errors.New("give --config FILE or --policy FILE")
	}
	if path == "" {
		p, err := acl.Load(policy, acl.Options{})
		return p, nil, err
	}
	cfg, err := loadConfig(path, environ())
	if err != nil {
		return nil, nil, err
	}
	if policy != "" {
		cfg.Policy = policy
	}
	b, err := build(cfg, providerFactories(), providers.Deps{})
	if err != nil {
		return nil, nil, err
	}
	return b.policy, cfg, nil
}

func explainCommand() *cli.Command {
	return &cli.Command{
		Name:      "explain",
		Usage:     "show which rules grant or deny each requested scope for an identity, offline",
		ArgsUsage: "SCOPE [SCOPE...]   (e.g. repository:org/app:pull,push)",
		Flags: []cli.Flag{
			configFlag,
			&cli.StringFlag{Name: "policy", Usage: "policy file (with --config: instead of the configured one)"},
			&cli.StringFlag{Name: "provider", Usage: "provider id of the identity (empty: anonymous)"},
			&cli.StringFlag{Name: "subject", Usage: "subject of the identity"},
			&cli.StringFlag{Name: "username", Usage: "username of the identity"},
			&cli.StringSliceFlag{Name: "groups", Usage: "groups of the identity (repeat or comma-separate)"},
			&cli.StringSliceFlag{Name: "grants", Usage: "upstream grant strings (repeat)"},
			&cli.StringFlag{Name: "claims", Usage: "JSON file of verified claims"},
			&cli.StringSliceFlag{Name: "repository", Usage: "a forge's permission on a forge repository, ORG/REPO=none|read|write|admin (repeat)"},
			&cli.StringFlag{Name: "service", Usage: "service name (default: the only one configured)"},
			&cli.BoolFlag{Name: "json", Usage: "print JSON"},
		},
		Action: runExplain,
	}
}

func runExplain(c *cli.Context) error {
	pol, cfg, err := loadForOffline(c)
	if err != nil {
		return err
	}
	scopes, err := acl.ParseScopes(c.Args().Slice())
	if err != nil {
		return err
	}
	if len(scopes) == 0 {
		return errors.New("name at least one scope, e.g. repository:org/app:pull,push")
	}
	id := providers.Identity{
		Provider: c.String("provider"),
		Subject:  c.String("subject"),
		Username: c.String("username"),
		Groups:   splitList(c.StringSlice("groups")),
		Grants:   c.StringSlice("grants"),
	}
	id.Anonymous = id.Provider == ""
	if id.Subject == "" {
		id.Subject = id.Username
	}
	if f := c.String("claims"); f != "" {
		raw, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(raw, &id.Claims); err != nil {
			return fmt.Errorf("--claims %s: %w", f, err)
		}
	}
	if id.Repositories, err = parseRepositoryFlags(c.StringSlice("repository")); err != nil {
		return err
	}
	service := c.String("service")
	if service == "" && cfg != nil {
		svc, err := pickService(cfg, "")
		if err != nil {
			return err
		}
		service = svc.Name
	}
	ex := pol.Explain(id, service, scopes)
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(ex)
	}
	fmt.Fprint(c.App.Writer, ex.String())
	return nil
}

// parseRepositoryFlags reads --repository ORG/REPO=PERMISSION values: the
// forge's answers explain assumes for forge: items.
func parseRepositoryFlags(in []string) (map[string]providers.Permission, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make(map[string]providers.Permission, len(in))
	for _, v := range in {
		repo, level, ok := strings.Cut(v, "=")
		perm, known := providers.ParsePermission(level)
		if !ok || repo == "" || !known {
			return nil, fmt.Errorf("--repository %q: write ORG/REPO=none|read|write|admin", v)
		}
		out[repo] = perm
	}
	return out, nil
}

func splitList(in []string) []string {
	var out []string
	for _, s := range in {
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}
