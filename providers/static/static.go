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

// PathKeys names the keys whose values are file paths, resolved against
// the configuration file's directory.
func (Config) PathKeys() []string { return []string{"htpasswd", "robots", "groups"} }

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

// MaxPasswordBytes is the longest password bcrypt checks: it ignores every
// byte after the 72nd, so a longer password is refused rather than accepted
// on its first 72 bytes.
const MaxPasswordBytes = 72

// Provider authenticates local accounts.
type Provider struct {
	accounts map[string]account
	dummy    []byte
	files    []string
}

var (
	_ providers.Provider         = (*Provider)(nil)
	_ providers.Router           = (*Provider)(nil)
	_ providers.Describer        = (*Provider)(nil)
	_ providers.FileReader       = (*Provider)(nil)
	_ providers.AccountDescriber = (*Provider)(nil)
)

// New reads the account and group files.
func New(_ string, cfg Config, _ providers.Deps) (*Provider, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("static: %w", err)
	}
	p := &Provider{accounts: map[string]account{}}
	for _, f := range []string{cfg.Htpasswd, cfg.Robots, cfg.Groups} {
		if f != "" {
			p.files = append(p.files, f)
		}
	}
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
	// A fixed hash of the most common cost, so that an unknown name costs
	// the compare a known name costs.
	dummy, err := bcrypt.GenerateFromPassword([]byte("regbridge-unknown-user"), commonCost(p.accounts))
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

// commonCost is the bcrypt cost most accounts use (the higher one on a
// tie), or bcrypt's default when there are none.
func commonCost(accounts map[string]account) int {
	counts := map[int]int{}
	best, n := bcrypt.DefaultCost, 0
	for _, a := range accounts {
		c, err := bcrypt.Cost(a.hash)
		if err != nil {
			continue
		}
		counts[c]++
		if counts[c] > n || counts[c] == n && c > best {
			best, n = c, counts[c]
		}
	}
	return best
}

// errTooLong refuses a password bcrypt would check only in part.
var errTooLong = fmt.Errorf("static: the password is longer than %d bytes, the most a bcrypt account checks; set a shorter one with `htpasswd -B`: %w",
	MaxPasswordBytes, providers.ErrBadRequest)

// Authenticate checks a Basic username and password. A name that is not an
// account costs the same bcrypt compare as a wrong password.
func (p *Provider) Authenticate(_ context.Context, cred providers.Credential) (providers.Identity, error) {
	if cred.Scheme != providers.SchemeBasic {
		return providers.Identity{}, fmt.Errorf("static: %s credentials are not accepted: %w", cred.Scheme, providers.ErrInvalidCredential)
	}
	if len(cred.Secret) > MaxPasswordBytes {
		return providers.Identity{}, errTooLong
	}
	a, ok := p.accounts[cred.Username]
	hash := a.hash
	if !ok {
		hash = p.dummy
	}
	err := bcrypt.CompareHashAndPassword(hash, []byte(cred.Secret.Reveal()))
	switch {
	case !ok:
		return providers.Identity{}, fmt.Errorf("static: user %q: %w", cred.Username, providers.ErrUnknownAccount)
	case err != nil:
		return providers.Identity{}, fmt.Errorf("static: user %q: wrong password: %w", cred.Username, providers.ErrInvalidCredential)
	}
	return identity(cred.Username, a), nil
}

// AccountIdentity returns the identity a login as name yields, without a
// password check.
func (p *Provider) AccountIdentity(name string) (providers.Identity, bool) {
	a, ok := p.accounts[name]
	if !ok {
		return providers.Identity{}, false
	}
	return identity(name, a), true
}

// Files returns the account and group files the provider was built from.
func (p *Provider) Files() []string { return slices.Clone(p.files) }

// identity is the identity of account a under name.
func identity(name string, a account) providers.Identity {
	id := providers.Identity{
		Subject:  name,
		Username: name,
		Groups:   slices.Clone(a.groups),
		Claims:   map[string]any{"robot": a.robot},
	}
	if a.robot {
		id.Subject = "robot:" + name
	}
	return id
}

// Route claims the local account names.
func (p *Provider) Route() providers.Route {
	return providers.Route{Users: func(name string) bool { _, ok := p.accounts[name]; return ok }}
}

// PolicyFacts says identities carry only the robot claim.
func (p *Provider) PolicyFacts() providers.PolicyFacts {
	return providers.PolicyFacts{Type: "static", Claims: []string{"robot"}}
}
