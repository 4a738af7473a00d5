package bridge

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/regbridge/regbridge/acl"
	"github.com/regbridge/regbridge/bridge/signing"
)

// State is everything a request reads: services, keys, providers and the
// policy. A State is immutable once built; reloads build a new one and swap
// it in atomically, so a request never sees a half-loaded configuration.
type State struct {
	services       map[string]*serviceState
	defaultService string
	keys           []*signing.Key
	router         *Router
	policy         *acl.Policy
	cache          *CredentialCache
	refresh        map[string]RefreshPolicy
	sealer         *refreshSealer
	// keep is, per provider id, the claims a cached identity keeps.
	keep map[string]*claimKeep
}

type serviceState struct {
	Service
	minter *signing.Minter
}

// mint signs a registry token for subject with granted access, valid from
// now for ttl.
func (svc *serviceState) mint(subject string, granted []acl.Scope, now time.Time, ttl time.Duration) (string, error) {
	access := make([]signing.AccessEntry, 0, len(granted))
	for _, s := range granted {
		access = append(access, signing.AccessEntry{Type: s.Type, Name: s.Name, Actions: s.Actions})
	}
	tok, _, err := svc.minter.Mint(signing.Registry{Issuer: svc.Issuer, Service: svc.Name}, subject, access, now, ttl)
	return tok, err
}

// StateConfig is what NewState needs.
type StateConfig struct {
	Services []Service
	// Keys: the first signs; all are published in the JWKS.
	Keys      []*signing.Key
	Providers []*Registered
	Policy    *acl.Policy
	Cache     *CredentialCache
	// Random is the token id source (crypto/rand when nil).
	Random io.Reader
	// Refresh is each provider's refresh-token policy, by provider id.
	Refresh map[string]RefreshPolicy
}

// NewState validates cfg and prepares a signer per service. Every problem is
// reported at once.
func NewState(cfg StateConfig) (*State, error) {
	var errs []error
	if len(cfg.Keys) == 0 {
		errs = append(errs, errors.New("keys: at least one signing key is required"))
	}
	if len(cfg.Services) == 0 {
		errs = append(errs, errors.New("services: at least one service is required"))
	}
	if cfg.Policy == nil {
		errs = append(errs, errors.New("policy: required"))
	}
	if cfg.Cache == nil {
		errs = append(errs, errors.New("cache: required"))
	}
	st := &State{services: map[string]*serviceState{}, keys: cfg.Keys, policy: cfg.Policy, cache: cfg.Cache}
	for i, svc := range cfg.Services {
		svc = svc.WithDefaults()
		if err := svc.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("services[%d]: %w", i, err))
			continue
		}
		if _, dup := st.services[svc.Name]; dup {
			errs = append(errs, fmt.Errorf("services[%d]: name %q is used twice", i, svc.Name))
			continue
		}
		if len(cfg.Keys) == 0 {
			continue
		}
		key := cfg.Keys[0]
		if svc.Registry != "v3" && signing.V3OnlyAlgorithm(key.Algorithm) {
			errs = append(errs, fmt.Errorf("services[%d] %q: the signing key uses %s, which distribution 2.8 refuses; use an ES256 or RS256 key, or mark the service `registry: v3`", i, svc.Name, key.Algorithm))
			continue
		}
		m, err := signing.NewMinter(key, svc.Header, cfg.Random)
		if err != nil {
			errs = append(errs, fmt.Errorf("services[%d] %q: %w", i, svc.Name, err))
			continue
		}
		st.services[svc.Name] = &serviceState{Service: svc, minter: m}
	}
	if len(cfg.Services) == 1 {
		st.defaultService = cfg.Services[0].Name
	}
	router, err := NewRouter(cfg.Providers)
	if err != nil {
		errs = append(errs, fmt.Errorf("providers: %w", err))
	}
	st.router = router
	if st.refresh, st.sealer, err = newRefreshState(cfg); err != nil {
		errs = append(errs, err)
	}
	st.keep = make(map[string]*claimKeep, len(cfg.Providers))
	for _, reg := range cfg.Providers {
		if st.refresh[reg.ID].Enabled {
			// A refresh token seals the identity for decisions under later
			// policies: a claim trimmed now could not be denied on then.
			st.keep[reg.ID] = nil
			continue
		}
		st.keep[reg.ID] = newClaimKeep(cfg.Policy, reg.Provider)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return st, nil
}

// Policy returns the active policy.
func (s *State) Policy() *acl.Policy { return s.policy }

// Keys returns the keys, signing key first.
func (s *State) Keys() []*signing.Key { return s.keys }

// Cache returns the credential cache.
func (s *State) Cache() *CredentialCache { return s.cache }

// WithPolicy returns a copy of s that decides with p; everything else,
// including the credential cache, is shared.
func (s *State) WithPolicy(p *acl.Policy) *State {
	cp := *s
	cp.policy = p
	return &cp
}
