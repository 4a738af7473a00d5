package jwks

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/upstream"
)

// Defaults.
const (
	// DefaultCooldown is the least time between two fetches.
	DefaultCooldown = time.Minute
	// DefaultInterval is how long fetched keys are used before a lookup
	// fetches them again.
	DefaultInterval = time.Hour
	// maxFailBackoff bounds the wait after a failed fetch while no key set
	// has loaded, and the retry hint of a failed fetch.
	maxFailBackoff = 5 * time.Second
)

// ErrUnknownKey is returned when no held key matches the token's kid and
// alg and no fetch may find one: a definite refusal of the token.
var ErrUnknownKey = errors.New("jwks: no key with this kid")

// Options configure one issuer's key set.
type Options struct {
	// Issuer is the exact issuer string; discovery reads
	// <issuer>/.well-known/openid-configuration.
	Issuer string
	// URI is an explicit JWKS URL.
	URI string
	// Discovery takes the JWKS URL from the issuer's discovery document
	// when URI is empty.
	Discovery bool
	// Inline is a JWKS given in the configuration: the set then never
	// fetches.
	Inline []byte
	// HTTPClient makes the requests; its redirect refusal is enforced and
	// nil means a new hardened client.
	HTTPClient *http.Client
	// Timeout bounds one fetch (default upstream.DefaultTimeout).
	Timeout time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Cooldown is the least time between two fetches (default
	// DefaultCooldown). While no key set has loaded, a failed fetch is
	// retried after at most 5s.
	Cooldown time.Duration
	// Interval is how long fetched keys are used before they are fetched
	// again (default DefaultInterval); stale keys keep working while the
	// issuer is down.
	Interval time.Duration
	// AllowInsecureHTTP permits http URLs off loopback.
	AllowInsecureHTTP bool
	// Logger receives a line per loaded key set (default: discard).
	Logger *slog.Logger
	// Shared, when set, holds the fetched keys across reloads, under the
	// document they are read from (see stateKey for what is carried over).
	Shared providers.KeySets
	// StateDir, when set, keeps the last fetched keys of each document in
	// a file there, read back when no key set is held for it (at start), so
	// that a restart during an issuer outage still verifies tokens.
	StateDir string
	// MaxStale bounds the age of keys read back from StateDir (default
	// DefaultMaxStale): older files are ignored, and keys read back are
	// dropped once they pass it with the issuer still unreachable.
	MaxStale time.Duration
}

// Set holds one issuer's verification keys.
type Set struct {
	issuer   string
	uri      string // explicit; empty means discovery
	static   bool
	client   *http.Client
	now      func() time.Time
	cooldown time.Duration
	interval time.Duration
	insecure bool
	logger   *slog.Logger
	key      string // the document, see stateKey
	stateDir string
	maxStale time.Duration
	st       *state
}

// state is what a key set learned from the issuer. Providers of successive
// configurations with the same issuer and key source share one state.
type state struct {
	sem chan struct{} // one fetch at a time

	mu         sync.Mutex
	keys       []jose.JSONWebKey
	loaded     bool
	fetched    time.Time // last successful fetch
	attempted  time.Time // last fetch attempt
	discovered string    // jwks_uri from discovery, reused until a fetch fails
	from       string    // the URL the held keys were read from
	fromDisk   bool      // keys read back from the state directory, not fetched since
}

// New builds a key set. It does no network I/O: fetched keys load on first
// use. Inline keys are parsed here.
func New(o Options) (*Set, error) {
	s := &Set{
		issuer:   o.Issuer,
		uri:      o.URI,
		client:   upstream.NoRedirects(o.HTTPClient, o.Timeout),
		now:      o.Now,
		cooldown: orDefault(o.Cooldown, DefaultCooldown),
		interval: orDefault(o.Interval, DefaultInterval),
		insecure: o.AllowInsecureHTTP,
		logger:   o.Logger,
		key:      stateKey(o.Issuer, o.URI),
		stateDir: o.StateDir,
		maxStale: orDefault(o.MaxStale, DefaultMaxStale),
	}
	if o.Timeout > 0 {
		s.client.Timeout = o.Timeout
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	s.logger = s.logger.With(slog.String("issuer", o.Issuer))
	if len(o.Inline) > 0 {
		keys, err := Parse(o.Inline)
		if err != nil {
			return nil, err
		}
		s.static = true
		s.st = &state{keys: keys, loaded: true}
		return s, nil
	}
	if s.uri == "" && !o.Discovery {
		return nil, errors.New("jwks: no key source (want a JWKS URL, inline keys or discovery)")
	}
	if o.Shared == nil {
		s.st = s.start(nil)
		return s, nil
	}
	seed := s.start(o.Shared)
	st, ok := o.Shared.Hold(s.key, func() any { return seed }).(*state)
	if !ok {
		return nil, fmt.Errorf("jwks: key sets: %q holds a value of another kind", s.key)
	}
	s.st = st
	return s, nil
}

// start is the state a new key set starts with when none is held for its
// document: the keys its issuer's discovery read from the same URL (see
// seedFor), else those left in the state directory, else none.
func (s *Set) start(shared providers.KeySets) *state {
	st := &state{sem: make(chan struct{}, 1)}
	if shared != nil {
		if held, ok := shared.Peek(s.key); ok {
			if st, ok := held.(*state); ok {
				return st
			}
		}
		st = seedFor(shared, s.issuer, s.uri)
	}
	if st.loaded || s.stateDir == "" {
		return st
	}
	disk, err := s.load()
	if err != nil {
		s.logger.Warn("issuer keys in the state directory ignored", slog.String("error", err.Error()))
	}
	if disk == nil {
		return st
	}
	s.logger.Info("issuer keys read from the state directory", slog.Int("keys", len(disk.keys)),
		slog.Time("fetched", disk.fetched), slog.String("from", disk.from))
	return disk
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// Candidates returns the keys that may have signed a token with this alg and
// kid (every key when the token names none), fetching the key set when it is
// not loaded, stale, or lacks the kid, and the cooldown allows. It returns
// ErrUnknownKey for a definite miss and an error wrapping
// providers.ErrUnavailable when no key set could be had.
func (s *Set) Candidates(ctx context.Context, alg, kid string, hasKID bool) ([]crypto.PublicKey, error) {
	st := s.st
	st.mu.Lock()
	s.expireDisk(st)
	found := match(st.keys, alg, kid, hasKID)
	fresh := s.static || (!st.fromDisk && s.now().Sub(st.fetched) < s.interval)
	st.mu.Unlock()
	if len(found) > 0 && fresh {
		return found, nil
	}
	if s.static {
		return nil, ErrUnknownKey
	}
	if err := s.refresh(ctx); err != nil {
		st.mu.Lock()
		s.expireDisk(st)
		loaded := st.loaded
		found = match(st.keys, alg, kid, hasKID)
		st.mu.Unlock()
		switch {
		case len(found) > 0: // stale keys keep working while the issuer is away
			return found, nil
		case !loaded:
			return nil, err
		}
		return nil, ErrUnknownKey
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if found = match(st.keys, alg, kid, hasKID); len(found) == 0 {
		return nil, ErrUnknownKey
	}
	return found, nil
}

// refresh fetches the key set unless another fetch ran within the cooldown
// (a shorter back-off applies while no key set has ever loaded). It returns
// an error wrapping ErrUnavailable when no fetch was allowed or the fetch
// failed.
func (s *Set) refresh(ctx context.Context) error {
	st := s.st
	select {
	case st.sem <- struct{}{}:
	case <-ctx.Done():
		return &providers.UnavailableError{RetryAfter: time.Second, Err: fmt.Errorf("jwks: %w", ctx.Err())}
	}
	defer func() { <-st.sem }()

	st.mu.Lock()
	wait := s.cooldown
	if !st.loaded {
		wait = min(s.cooldown, maxFailBackoff)
	}
	since := s.now().Sub(st.attempted)
	if !st.attempted.IsZero() && since < wait {
		st.mu.Unlock()
		return &providers.UnavailableError{RetryAfter: wait - since, Err: errors.New("jwks: refresh cooling down")}
	}
	st.attempted = s.now()
	discovered := st.discovered
	st.mu.Unlock()

	// The fetch outlives a cancelled request so that its result is kept.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.client.Timeout)
	defer cancel()
	keys, from, err := s.fetch(fctx, discovered)

	st.mu.Lock()
	if err != nil {
		st.discovered = ""
		st.mu.Unlock()
		return &providers.UnavailableError{RetryAfter: min(s.cooldown, maxFailBackoff), Err: fmt.Errorf("jwks: %w", err)}
	}
	st.keys, st.loaded, st.fetched, st.from, st.fromDisk = keys, true, s.now(), from, false
	if s.uri == "" {
		st.discovered = from
	}
	fetched, discovered := st.fetched, st.discovered
	st.mu.Unlock()
	s.logger.InfoContext(ctx, "issuer keys loaded", slog.Int("keys", len(keys)))
	if s.stateDir != "" {
		if err := s.save(keys, from, discovered, fetched); err != nil {
			s.logger.WarnContext(ctx, "issuer keys not written to the state directory", slog.String("error", err.Error()))
		}
	}
	return nil
}
