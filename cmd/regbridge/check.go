package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/regbridge/regbridge/acl"
	"github.com/regbridge/regbridge/bridge"
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
			pol, b, err := loadForOffline(c)
			if err != nil {
				return err
			}
			if b != nil {
				for _, w := range realmWarnings(b.cfg.realm()) {
					fmt.Fprintln(c.App.ErrWriter, "warning:", w)
				}
			}
			what := "policy " + pol.Source()
			if b != nil {
				what = b.cfg.file + " and " + what
			}
			fmt.Fprintf(c.App.Writer, "ok: %s load, lint clean, inline tests pass\n", what)
			return nil
		},
	}
}

// loadForOffline loads the configuration (when given) and the policy
// without any network I/O, through the loader serve uses, reporting every
// problem at once. b is nil without --config.
func loadForOffline(c *cli.Context) (*acl.Policy, *built, error) {
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
		return nil, nil, checkPartial(err, policy)
	}
	if policy != "" {
		cfg.Policy = policy
	}
	_, b, err := prepare(cfg, providers.Deps{}, nil)
	if err := joinProblems(cfg, err, listenerProblems(cfg)); err != nil {
		return nil, nil, err
	}
	return b.policy, b, nil
}

func explainCommand() *cli.Command {
	return &cli.Command{
		Name:      "explain",
		Usage:     "show which rules grant or deny each requested scope for an identity, offline",
		ArgsUsage: "SCOPE [SCOPE...]   (e.g. repository:org/app:pull,push), or --request-id ID",
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
			&cli.StringFlag{Name: "request-id", Usage: "explain the request a client's error message names: its audit record, and the same request under today's policy"},
			&cli.StringFlag{Name: "audit", Usage: "audit log to read with --request-id (default: the configured observability.audit; .gz files too)"},
		},
		Action: runExplain,
	}
}

// errNothingGranted makes explain exit non-zero when the request would get
// no access at all.
var errNothingGranted = errors.New("explain: nothing is granted")

func runExplain(c *cli.Context) error {
	if c.IsSet("request-id") {
		return runExplainRequest(c)
	}
	pol, b, err := loadForOffline(c)
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
	id, err := explainIdentity(c, b)
	if err != nil {
		return err
	}
	if id.Repositories, err = parseRepositoryFlags(c.StringSlice("repository")); err != nil {
		return err
	}
	service := c.String("service")
	if service == "" && b != nil {
		svc, err := pickService(b.cfg, "")
		if err != nil {
			return err
		}
		service = svc.Name
	}
	ex := pol.Explain(id, service, scopes)
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		if err := enc.Encode(ex); err != nil {
			return err
		}
	} else {
		fmt.Fprint(c.App.Writer, ex.String())
	}
	if len(ex.Granted) == 0 {
		return errNothingGranted
	}
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

// explainIdentity is the identity explain decides for. With a
// configuration, --provider must be one of its providers, and a provider
// that holds its accounts locally (static) builds the identity of
// --username itself, groups file included, as a login would.
func explainIdentity(c *cli.Context, b *built) (providers.Identity, error) {
	id := providers.Identity{
		Provider: c.String("provider"),
		Subject:  c.String("subject"),
		Username: c.String("username"),
		Groups:   splitList(c.StringSlice("groups")),
		Grants:   c.StringSlice("grants"),
	}
	if id.Provider == "" {
		id.Anonymous = true
		return id, nil
	}
	if b != nil {
		var reg *bridge.Registered
		var ids []string
		for _, r := range b.providers {
			ids = append(ids, r.ID)
			if r.ID == id.Provider {
				reg = r
			}
		}
		if reg == nil {
			return id, fmt.Errorf("--provider %q is not configured (configured: %s)", id.Provider, strings.Join(ids, ", "))
		}
		if ad, ok := reg.Provider.(providers.AccountDescriber); ok {
			return accountIdentity(c, reg.ID, ad)
		}
	}
	if id.Subject == "" {
		id.Subject = id.Username
	}
	var err error
	id.Claims, err = claimsFlag(c)
	return id, err
}

// claimsFlag reads the JSON object of --claims, nil without the flag.
func claimsFlag(c *cli.Context) (map[string]any, error) {
	f := c.String("claims")
	if f == "" {
		return nil, nil
	}
	raw, err := os.ReadFile(f)
	if err != nil {
		return nil, err
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		return nil, fmt.Errorf("--claims %s: %w", f, err)
	}
	return claims, nil
}

// accountIdentity is the identity a provider with local accounts gives
// --username; the flags that would contradict it are refused.
func accountIdentity(c *cli.Context, provider string, ad providers.AccountDescriber) (providers.Identity, error) {
	for _, f := range []string{"subject", "groups", "grants", "claims"} {
		if c.IsSet(f) {
			return providers.Identity{}, fmt.Errorf("--%s: provider %q builds its identities from its own files; name the account with --username only", f, provider)
		}
	}
	name := c.String("username")
	if name == "" {
		return providers.Identity{}, fmt.Errorf("--username: required with provider %q", provider)
	}
	id, ok := ad.AccountIdentity(name)
	if !ok {
		return providers.Identity{}, fmt.Errorf("--username %q: provider %q has no such account", name, provider)
	}
	id.Provider = provider
	return id, nil
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
