package static

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"golang.org/x/crypto/bcrypt"

	"github.com/regbridge/regbridge/providers"
)

// Config configures a static provider.
type Config struct {
	// Htpasswd is the file of people's accounts.
	Htpasswd string `yaml:"htpasswd"`
	// Robots is an htpasswd file of robot accounts: their identities carry
	// the claim robot=true and subject "robot:<name>".
	Robots string `yaml:"robots"`
	// Groups is the sidecar file "group: member member ...".
	Groups string `yaml:"groups"`
}

// Validate reports every problem of c without touching the disk.
func (c Config) Validate() error {
	if c.Htpasswd == "" && c.Robots == "" {
		return errors.New("htpasswd: required (or robots): the file of bcrypt accounts")
	}
	return nil
}

type account struct {
	hash   []byte
	robot  bool
	groups []string
}

// Provider authenticates local accounts.
type Provider struct {
	accounts map[string]account
	dummy    []byte
}

var (
	_ providers.Provider  = (*Provider)(nil)
	_ providers.Router    = (*Provider)(nil)
	_ providers.Describer = (*Provider)(nil)
)

// New reads the account and group files.
func New(_ string, cfg Config, _ providers.Deps) (*Provider, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("static: %w", err)
	}
	p := &Provider{accounts: map[string]account{}}
	var groups map[string][]string
	var errs []error
	if cfg.Groups != "" {
		g, err := readFile(cfg.Groups, ParseGroups)
		errs = append(errs, err)
		groups = g
	}
	for _, f := range []struct {
		path  string
		robot bool
	}{{cfg.Htpasswd, false}, {cfg.Robots, true}} {
		if f.path == "" {
			continue
		}
		list, err := readFile(f.path, ParseHtpasswd)
		errs = append(errs, err)
		for _, a := range list {
			if _, dup := p.accounts[a.Name]; dup {
				errs = append(errs, fmt.Errorf("%s: account %q is defined both as a user and as a robot", f.path, a.Name))
				continue
			}
			p.accounts[a.Name] = account{hash: a.Hash, robot: f.robot, groups: slices.Clone(groups[a.Name])}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("static: %w", err)
	}
	// A fixed hash of the typical cost, so that unknown users cost a compare.
	cost := bcrypt.DefaultCost
	for _, a := range p.accounts {
		if c, err := bcrypt.Cost(a.hash); err == nil {
			cost = c
		}
		break
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte("regbridge-unknown-user"), cost)
	if err != nil {
		return nil, fmt.Errorf("static: %w", err)
	}
	p.dummy = dummy
	return p, nil
}

func readFile[T any](path string, parse func(r io.Reader, name string) (T, error)) (T, error) {
	f, err := os.Open(path)
	if err != nil {
		var zero T
		return zero, err
	}
	defer f.Close()
	return parse(f, path)
}

// Authenticate checks a Basic username and password.
func (p *Provider) Authenticate(_ context.Context, cred providers.Credential) (providers.Identity, error) {
	if cred.Scheme != providers.SchemeBasic {
		return providers.Identity{}, fmt.Errorf("static: %s credentials are not accepted: %w", cred.Scheme, providers.ErrInvalidCredential)
	}
	a, ok := p.accounts[cred.Username]
	hash := a.hash
	if !ok {
		hash = p.dummy
	}
	if err := bcrypt.CompareHashAndPassword(hash, []byte(cred.Secret.Reveal())); err != nil || !ok {
		return providers.Identity{}, fmt.Errorf("static: user %q: wrong name or password: %w", cred.Username, providers.ErrInvalidCredential)
	}
	id := providers.Identity{
		Subject:  cred.Username,
		Username: cred.Username,
		Groups:   slices.Clone(a.groups),
		Claims:   map[string]any{"robot": a.robot},
	}
	if a.robot {
		id.Subject = "robot:" + cred.Username
	}
	return id, nil
}

// Route claims the local account names.
func (p *Provider) Route() providers.Route {
	return providers.Route{Users: func(name string) bool { _, ok := p.accounts[name]; return ok }}
}

// PolicyFacts says identities carry only the robot claim.
func (p *Provider) PolicyFacts() providers.PolicyFacts {
	return providers.PolicyFacts{Type: "static", Claims: []string{"robot"}}
}
