package bridge

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/regbridge/regbridge/providers"
)

// AbuseControl applies the rate limits and the provider concurrency bound
// of a RateLimitConfig. A nil *AbuseControl limits nothing.
//
// Order on the token path: the address limit and the (username, address)
// failure limit are checked before routing, so a limited client costs no
// provider call and no bcrypt compare; the provider failure limit and the
// concurrency bound are checked on a credential cache miss only, so
// cached credentials keep working; the identity limit is charged after a
// successful authentication.
type AbuseControl struct {
	cfg      RateLimitConfig
	resolver clientResolver
	stores   *limitStores
	gates    sync.Map // provider id → *gate
	counts   limitCounts
}

// NewAbuseControl returns the abuse control of cfg (defaults applied
// here), with buckets in shared when it is not nil (Redis, for replicas)
// and in memory otherwise or as the fallback. It returns nil when cfg is
// not enabled.
func NewAbuseControl(cfg RateLimitConfig, shared LimitStore, now func() time.Time) (*AbuseControl, error) {
	if !cfg.Enabled {
		return nil, nil
	}
	if now == nil {
		now = time.Now
	}
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	trusted, _ := parsePrefixes(cfg.TrustedProxies)
	return &AbuseControl{
		cfg:      cfg,
		resolver: clientResolver{trusted: trusted, ipv6Prefix: cfg.IPv6Prefix},
		stores:   &limitStores{shared: shared, local: NewMemoryLimitStore(0, now), now: now},
	}, nil
}

// admission is what the cache-miss path needs of a request's admission.
type admission struct{ a *AbuseControl }

type admissionKey struct{}

// admit checks the limits that apply before any provider work. The
// returned context carries the admission to the provider call.
func (a *AbuseControl) admit(r *http.Request, req *TokenRequest) (context.Context, error) {
	ctx := r.Context()
	if a == nil {
		return ctx, nil
	}
	ctx = context.WithValue(ctx, admissionKey{}, &admission{a: a})
	if err := a.take(ctx, limitPerAddress, a.cfg.PerAddress, a.addressKey(r), 1); err != nil {
		return ctx, err
	}
	if req.Credential.Scheme != providers.SchemeNone {
		if err := a.take(ctx, limitFailuresPerUser, a.cfg.FailuresPerUser, a.userKey(r, req), 0); err != nil {
			return ctx, err
		}
	}
	return ctx, nil
}

// settle charges a refused credential to the failure limits, and a
// successful one to the identity limit. It returns the error to answer
// with: err itself, or a limit refusal.
func (a *AbuseControl) settle(ctx context.Context, r *http.Request, req *TokenRequest, ev *Event, id providers.Identity, err error) error {
	if a == nil {
		return err
	}
	if err != nil {
		if errors.Is(err, providers.ErrInvalidCredential) && !errors.Is(err, providers.ErrUnavailable) {
			// A failure is recorded whatever the store says: the refusal
			// stands either way.
			_ = a.take(ctx, limitFailuresPerUser, a.cfg.FailuresPerUser, a.userKey(r, req), 1)
			if ev.Provider != "" && !ev.CacheHit {
				_ = a.take(ctx, limitFailuresPerProvider, a.cfg.FailuresPerProvider, providerKey(ev.Provider), 1)
			}
		}
		return err
	}
	if id.Anonymous {
		return nil
	}
	return a.take(ctx, limitPerIdentity, a.cfg.PerIdentity, hashKey("i", id.Provider, id.Subject), 1)
}

// enterProvider admits one provider call of a cache miss: the provider
// failure limit, then the concurrency bound. release must be called when
// the call returns. Without an admission in ctx it admits at once.
func enterProvider(ctx context.Context, reg *Registered) (release func(), err error) {
	adm, _ := ctx.Value(admissionKey{}).(*admission)
	if adm == nil {
		return func() {}, nil
	}
	a := adm.a
	if err := a.take(ctx, limitFailuresPerProvider, a.cfg.FailuresPerProvider, providerKey(reg.ID), 0); err != nil {
		return nil, err
	}
	return a.gate(reg).enter(ctx)
}

// take runs one limit check; a limit that is off allows everything.
func (a *AbuseControl) take(ctx context.Context, name string, l Limit, key string, cost int) error {
	if !l.Enabled() {
		return nil
	}
	ok, retry, err := a.stores.take(ctx, key, l, cost)
	if err != nil {
		return err
	}
	if !ok {
		a.counts.limited(name)
		return &RateLimitedError{Limit: name, RetryAfter: retry}
	}
	return nil
}

// gate is the concurrency gate of reg; providers of local accounts hash
// passwords on this machine's cores.
func (a *AbuseControl) gate(reg *Registered) *gate {
	if g, ok := a.gates.Load(reg.ID); ok {
		return g.(*gate)
	}
	g, _ := a.gates.LoadOrStore(reg.ID, newGate(reg.ID, reg.route.Users != nil, a.cfg.Concurrency))
	return g.(*gate)
}

// addressKey is the bucket of the request's client address.
func (a *AbuseControl) addressKey(r *http.Request) string {
	addr, ok := a.resolver.client(r)
	if !ok {
		return hashKey("a", "unknown")
	}
	return hashKey("a", a.resolver.bucket(addr))
}

// userKey is the (username, address) failure bucket. Credentials without
// a username (bearer tokens) share one bucket per address and scheme.
func (a *AbuseControl) userKey(r *http.Request, req *TokenRequest) string {
	addr, ok := a.resolver.client(r)
	b := "unknown"
	if ok {
		b = a.resolver.bucket(addr)
	}
	return hashKey("u", string(req.Credential.Scheme), req.Credential.Username, b)
}

func providerKey(id string) string { return hashKey("p", id) }

// hashKey joins parts unambiguously and hashes them, so that no client
// text reaches a store key.
func hashKey(kind string, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return kind + ":" + hex.EncodeToString(h.Sum(nil)[:16])
}
