package bridge

import (
	"errors"
	"fmt"
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/regbridge/regbridge/acl"
)

// ReuseConfig is signed-token reuse (`token_reuse:`), off by default. When
// the same identity — provider, subject and credential hash — asks for the
// same service and is granted exactly the same access within Window of a
// token being minted, it gets that token again instead of a new signature,
// as long as MinRemaining of its lifetime is left.
//
// The trade-off: the same token, and so the same `jti`, is handed out more
// than once. Registries do not track jti (distribution does not), but an
// audit pipeline that expects one jti per response must allow repeats; the
// audit line marks such responses `reused: true`.
type ReuseConfig struct {
	// Enabled turns reuse on (default false).
	Enabled bool `yaml:"enabled"`
	// Window is how long after minting a token may be handed out again
	// (default 30s, at most 5m).
	Window time.Duration `yaml:"window"`
	// MinRemaining is the fraction of the token's lifetime that must be left
	// for it to be handed out again (default 0.5; between 0.1 and 1). The
	// answer's expires_in is always at least 60 s regardless.
	MinRemaining float64 `yaml:"min_remaining"`
	// Size is the most tokens remembered (default 10000).
	Size int `yaml:"size"`
}

// Defaults and limits of ReuseConfig.
const (
	DefaultReuseWindow       = 30 * time.Second
	DefaultReuseMinRemaining = 0.5
	DefaultReuseSize         = 10000
	MaxReuseWindow           = 5 * time.Minute
)

// WithDefaults returns c with empty fields set to their defaults.
func (c ReuseConfig) WithDefaults() ReuseConfig {
	if c.Window == 0 {
		c.Window = DefaultReuseWindow
	}
	if c.MinRemaining == 0 {
		c.MinRemaining = DefaultReuseMinRemaining
	}
	if c.Size == 0 {
		c.Size = DefaultReuseSize
	}
	return c
}

// Validate reports every problem of c (after defaults) as one joined error.
func (c ReuseConfig) Validate() error {
	var errs []error
	if c.Window < 0 || c.Window > MaxReuseWindow {
		errs = append(errs, fmt.Errorf("window: %s is outside 0s..%s", c.Window, MaxReuseWindow))
	}
	if c.MinRemaining < 0.1 || c.MinRemaining > 1 {
		errs = append(errs, fmt.Errorf("min_remaining: %g is outside 0.1..1 (a fraction of the token lifetime)", c.MinRemaining))
	}
	if c.Size < 0 {
		errs = append(errs, fmt.Errorf("size: %d is negative", c.Size))
	}
	return errors.Join(errs...)
}

// reuseCache remembers recently minted tokens by identity and access.
type reuseCache struct {
	cfg ReuseConfig
	lru *lru.Cache[string, mintedToken]
}

type mintedToken struct {
	token    string
	iat, exp time.Time
}

// newReuseCache returns nil when reuse is off.
func newReuseCache(cfg ReuseConfig) *reuseCache {
	if !cfg.Enabled {
		return nil
	}
	cfg = cfg.WithDefaults()
	if cfg.Size <= 0 {
		return nil
	}
	l, err := lru.New[string, mintedToken](cfg.Size)
	if err != nil {
		return nil
	}
	return &reuseCache{cfg: cfg, lru: l}
}

// reuseKey names an identity's grant: the credential cache key (which
// covers the provider and the credential), the subject, the service, the
// signing key and the exact granted access.
func reuseKey(credKey *[32]byte, subject, service, kid string, granted []acl.Scope) string {
	var b strings.Builder
	b.Grow(len(credKey) + len(subject) + len(service) + len(kid) + 64)
	b.Write(credKey[:])
	for _, s := range [...]string{subject, service, kid} {
		b.WriteByte(0)
		b.WriteString(s)
	}
	for _, g := range granted {
		b.WriteByte(0)
		b.WriteString(g.Type)
		b.WriteByte(':')
		b.WriteString(g.Name)
		for _, a := range g.Actions {
			b.WriteByte(':')
			b.WriteString(a)
		}
	}
	return b.String()
}

// get returns a token minted for key that may be handed out again at now: it
// was minted within the window, has MinRemaining of its life and at least
// MinTokenTTL left, and expires no later than a fresh token of ttl would.
func (c *reuseCache) get(key string, now time.Time, ttl time.Duration) (mintedToken, bool) {
	t, ok := c.lru.Get(key)
	if !ok {
		return mintedToken{}, false
	}
	life := t.exp.Sub(t.iat)
	left := t.exp.Sub(now)
	switch {
	case now.Before(t.iat), now.Sub(t.iat) > c.cfg.Window,
		left < MinTokenTTL, float64(left) < c.cfg.MinRemaining*float64(life),
		t.exp.After(now.Add(ttl)):
		return mintedToken{}, false
	}
	return t, true
}

func (c *reuseCache) put(key string, t mintedToken) { c.lru.Add(key, t) }

// reused returns a recently minted token for this identity and grant when
// one may be handed out again, marking ev; otherwise the key to remember the
// new token under.
func (s *Server) reused(ev *Event, svc *serviceState, subject string, granted []acl.Scope, now time.Time, ttl time.Duration) (*issued, string, bool) {
	key := reuseKey(&ev.credKey, subject, svc.Name, svc.minter.Key().KeyID, granted)
	t, ok := s.reuse.get(key, now, ttl)
	if !ok {
		return nil, key, false
	}
	ev.Granted, ev.Reused = granted, true
	return &issued{token: t.token, ttl: t.exp.Sub(now), now: t.iat, granted: granted}, key, true
}
