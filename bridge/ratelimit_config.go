package bridge

import (
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"strings"
	"time"
)

// Limit is one rate: Requests per Per on average, with up to Burst at once.
// A zero Requests turns the limit off.
type Limit struct {
	Requests int           `yaml:"requests"`
	Per      time.Duration `yaml:"per"`
	Burst    int           `yaml:"burst"`
	// OnStateError overrides RateLimitConfig.OnStateError for this limit.
	OnStateError string `yaml:"on_state_error"`
}

// Enabled reports whether l limits anything.
func (l Limit) Enabled() bool { return l.Requests > 0 }

// interval is the time one request's budget takes to come back.
func (l Limit) interval() time.Duration { return l.Per / time.Duration(l.Requests) }

// What a limit does when its shared store fails.
const (
	// OnStateErrorLocal falls back to this replica's own in-memory bucket.
	OnStateErrorLocal = "local"
	// OnStateErrorClosed answers 503 with Retry-After.
	OnStateErrorClosed = "closed"
)

// ConcurrencyConfig bounds the provider calls of credential cache misses.
type ConcurrencyConfig struct {
	// PasswordHashing is the number of calls in flight per provider of
	// local accounts (static users: one bcrypt compare each), by default
	// half the cores (GOMAXPROCS/2, at least 1), so that cached requests
	// keep the other half; -1 turns the bound off.
	PasswordHashing int `yaml:"password_hashing"`
	// Upstream is the number of calls in flight per provider that asks a
	// remote service (OIDC, forges), by default 16 × GOMAXPROCS: those
	// calls wait on the network, not on a core; -1 turns the bound off.
	Upstream int `yaml:"upstream"`
	// Queue is how many more may wait for a slot, per provider (default 4
	// × its slots); beyond it a request is answered 503 at once.
	Queue int `yaml:"queue"`
	// MaxWait bounds the wait in the queue (default 1s).
	MaxWait time.Duration `yaml:"max_wait"`
}

// RateLimitConfig is the rate_limits section. Everything is off unless
// Enabled; once enabled, the limits left out take the defaults below.
type RateLimitConfig struct {
	Enabled bool `yaml:"enabled"`
	// TrustedProxies are the addresses and CIDR prefixes whose
	// X-Forwarded-For is believed. Empty: the header is ignored.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// IPv6Prefix groups IPv6 clients by this prefix length (default 64:
	// one site or one host's privacy addresses are one client).
	IPv6Prefix int `yaml:"ipv6_prefix"`
	// PerAddress limits every token request from one client address.
	PerAddress Limit `yaml:"per_address"`
	// FailuresPerUser limits refused credentials per (username, address):
	// an attacker elsewhere cannot use up the real user's budget.
	FailuresPerUser Limit `yaml:"failures_per_user"`
	// FailuresPerProvider limits refused, uncached credentials per provider
	// from all addresses together; over it, cache misses of that provider
	// get 429 while cached credentials keep working.
	FailuresPerProvider Limit `yaml:"failures_per_provider"`
	// PerIdentity limits tokens issued to one authenticated identity.
	PerIdentity Limit `yaml:"per_identity"`
	// OnStateError is "local" (default) or "closed".
	OnStateError string `yaml:"on_state_error"`
	// Concurrency bounds provider calls.
	Concurrency ConcurrencyConfig `yaml:"concurrency"`
}

// Default limits once rate_limits.enabled is set. They are generous: a CI
// fleet behind one NAT address pulling hundreds of images stays under
// PerAddress, and a user who mistypes a password a few times is not slowed.
var (
	DefaultPerAddress          = Limit{Requests: 20, Per: time.Second, Burst: 200}
	DefaultFailuresPerUser     = Limit{Requests: 10, Per: time.Minute, Burst: 10}
	DefaultFailuresPerProvider = Limit{Requests: 50, Per: time.Second, Burst: 200}
	DefaultPerIdentity         = Limit{Requests: 50, Per: time.Second, Burst: 500}
)

// DefaultIPv6Prefix is the IPv6 prefix length one client address stands for.
const DefaultIPv6Prefix = 64

// WithDefaults returns c with empty fields set to their defaults. A limit
// with Requests -1 stays off.
func (c RateLimitConfig) WithDefaults() RateLimitConfig {
	if c.IPv6Prefix == 0 {
		c.IPv6Prefix = DefaultIPv6Prefix
	}
	if c.OnStateError == "" {
		c.OnStateError = OnStateErrorLocal
	}
	for _, x := range []struct {
		l *Limit
		d Limit
	}{{&c.PerAddress, DefaultPerAddress}, {&c.FailuresPerUser, DefaultFailuresPerUser},
		{&c.FailuresPerProvider, DefaultFailuresPerProvider}, {&c.PerIdentity, DefaultPerIdentity}} {
		switch {
		case x.l.Requests == 0:
			on := x.l.OnStateError
			*x.l = x.d
			x.l.OnStateError = on
		case x.l.Requests < 0:
			*x.l = Limit{}
			continue
		}
		if x.l.Per == 0 {
			x.l.Per = time.Second
		}
		if x.l.Burst == 0 {
			x.l.Burst = x.l.Requests
		}
		if x.l.OnStateError == "" {
			x.l.OnStateError = c.OnStateError
		}
	}
	cc := &c.Concurrency
	if cc.PasswordHashing == 0 {
		cc.PasswordHashing = max(1, runtime.GOMAXPROCS(0)/2)
	}
	if cc.Upstream == 0 {
		cc.Upstream = 16 * runtime.GOMAXPROCS(0)
	}
	if cc.MaxWait == 0 {
		cc.MaxWait = time.Second
	}
	return c
}

// Validate reports every problem of c (after defaults) as one joined error.
func (c RateLimitConfig) Validate() error {
	var errs []error
	if _, err := parsePrefixes(c.TrustedProxies); err != nil {
		errs = append(errs, err)
	}
	if c.IPv6Prefix < 1 || c.IPv6Prefix > 128 {
		errs = append(errs, fmt.Errorf("ipv6_prefix: %d is not between 1 and 128", c.IPv6Prefix))
	}
	if err := validOnStateError(c.OnStateError); err != nil {
		errs = append(errs, fmt.Errorf("on_state_error: %w", err))
	}
	for name, l := range map[string]Limit{"per_address": c.PerAddress, "failures_per_user": c.FailuresPerUser,
		"failures_per_provider": c.FailuresPerProvider, "per_identity": c.PerIdentity} {
		if !l.Enabled() {
			continue
		}
		switch {
		case l.Per <= 0:
			errs = append(errs, fmt.Errorf("%s.per: %s must be positive", name, l.Per))
		case l.interval() <= 0:
			errs = append(errs, fmt.Errorf("%s: %d requests per %s is finer than a nanosecond", name, l.Requests, l.Per))
		}
		if l.Burst < 1 {
			errs = append(errs, fmt.Errorf("%s.burst: %d must be at least 1", name, l.Burst))
		}
		if err := validOnStateError(l.OnStateError); err != nil {
			errs = append(errs, fmt.Errorf("%s.on_state_error: %w", name, err))
		}
	}
	if c.Concurrency.Queue < 0 {
		errs = append(errs, fmt.Errorf("concurrency.queue: %d is negative", c.Concurrency.Queue))
	}
	if c.Concurrency.MaxWait < 0 {
		errs = append(errs, fmt.Errorf("concurrency.max_wait: %s is negative", c.Concurrency.MaxWait))
	}
	return errors.Join(errs...)
}

func validOnStateError(s string) error {
	switch s {
	case OnStateErrorLocal, OnStateErrorClosed:
		return nil
	}
	return fmt.Errorf("%q is not %q or %q", s, OnStateErrorLocal, OnStateErrorClosed)
}

// parsePrefixes reads addresses ("10.0.0.1") and prefixes ("10.0.0.0/8").
func parsePrefixes(list []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(list))
	var bad []string
	for _, s := range list {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		if a, err := netip.ParseAddr(s); err == nil {
			a = a.Unmap()
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		bad = append(bad, fmt.Sprintf("%q", s))
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("trusted_proxies: %s: not an address or CIDR prefix", strings.Join(bad, ", "))
	}
	return out, nil
}
