package sourcehut

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/sourcehut/srhttest"
)

func TestCacheKeyIsCanonicalAndNotTheToken(t *testing.T) {
	f := newFixture(t, nil, srhttest.Options{})
	k1, ok := f.p.CacheKey(basic(vecT1))
	if !ok {
		t.Fatal("no key for T1")
	}
	if strings.Contains(k1, vecT1) || strings.Contains(k1, vecT1[:20]) {
		t.Errorf("key %q carries the token", k1)
	}
	other := basic(vecT1)
	other.Username = "anything"
	if k, _ := f.p.CacheKey(other); k != k1 {
		t.Errorf("the Basic username changed the key: %q vs %q", k, k1)
	}
	if k, _ := f.p.CacheKey(basic(vecX7)); k == k1 {
		t.Errorf("two tokens share a key")
	}
	for _, tok := range []string{vecT1Prime, vecT1 + "\n", vecT1 + "=", "", strings.Repeat("A", 5000)} {
		if k, ok := f.p.CacheKey(basic(tok)); ok {
			t.Errorf("CacheKey(%.20q…) = %q, true; want false for a non-canonical credential", tok, k)
		}
	}
	bearer := basic(vecT1)
	bearer.Scheme = providers.SchemeBearer
	if _, ok := f.p.CacheKey(bearer); ok {
		t.Error("CacheKey accepted a Bearer credential")
	}
}

// cacheHarness is the bridge's credential cache in miniature: positive
// entries for min(ttl, expiry − now), negative entries for definite
// refusals, nothing for ErrUnavailable, singleflight per key.
type cacheHarness struct {
	p           *Provider
	now         func() time.Time
	ttl, negTTL time.Duration
	sf          singleflight.Group

	mu      sync.Mutex
	entries map[string]cacheEntry
}

type cacheEntry struct {
	id    providers.Identity
	err   error
	until time.Time
}

func (h *cacheHarness) authenticate(ctx context.Context, cred providers.Credential) (providers.Identity, error) {
	key, ok := h.p.CacheKey(cred)
	if !ok {
		key = "raw:" + cred.Secret.Reveal()
	}
	h.mu.Lock()
	e, hit := h.entries[key]
	h.mu.Unlock()
	if hit && h.now().Before(e.until) {
		return e.id, e.err
	}
	v, err, _ := h.sf.Do(key, func() (any, error) {
		// Look again: a flight for key may have finished between the
		// lookup above and Do.
		h.mu.Lock()
		e, hit := h.entries[key]
		h.mu.Unlock()
		if hit && h.now().Before(e.until) {
			return e.id, e.err
		}
		id, err := h.p.Authenticate(ctx, cred)
		now := h.now()
		switch {
		case err == nil:
			until := now.Add(h.ttl)
			if id.Expiry.Before(until) {
				until = id.Expiry
			}
			h.store(key, cacheEntry{id: id, until: until})
		case errors.Is(err, providers.ErrInvalidCredential) && !errors.Is(err, providers.ErrUnavailable):
			h.store(key, cacheEntry{err: err, until: now.Add(h.negTTL)})
		}
		return id, err
	})
	return v.(providers.Identity), err
}

func (h *cacheHarness) store(key string, e cacheEntry) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.entries[key] = e
}

func newHarness(f *fixture) *cacheHarness {
	return &cacheHarness{p: f.p, now: f.clock.Now, ttl: time.Minute, negTTL: 10 * time.Second, entries: make(map[string]cacheEntry)}
}

func hammer(t *testing.T, h *cacheHarness, tok string, n int) {
	t.Helper()
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := h.authenticate(context.Background(), basic(tok))
			errs <- err
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("authenticate: %v", err)
		}
	}
}

func TestHundredConcurrentLoginsMakeOneMetaCallAndOneMoreAfterTheTTL(t *testing.T) {
	f := newFixture(t, nil, srhttest.Options{})
	h := newHarness(f)
	tok := f.mint("registry.example.com/REGISTRY:RW")
	hammer(t, h, tok, 100)
	if n := f.meta.CountToken(tok); n != 1 {
		t.Fatalf("meta saw %d requests for 100 concurrent logins, want 1", n)
	}
	f.clock.Advance(h.ttl - time.Second)
	hammer(t, h, tok, 100)
	if n := f.meta.CountToken(tok); n != 1 {
		t.Fatalf("meta saw %d requests within the TTL, want 1", n)
	}
	f.clock.Advance(2 * time.Second)
	hammer(t, h, tok, 100)
	if n := f.meta.CountToken(tok); n != 2 {
		t.Fatalf("meta saw %d requests after the TTL, want 2", n)
	}
}

func TestPositiveEntriesNeverOutliveTheToken(t *testing.T) {
	f := newFixture(t, nil, srhttest.Options{})
	h := newHarness(f)
	tok := f.meta.MintBuilds("jdoe", "registry.example.com/REGISTRY:RW", 10*time.Second)
	if _, err := h.authenticate(context.Background(), basic(tok)); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(11 * time.Second)
	_, err := h.authenticate(context.Background(), basic(tok))
	wantInvalid(t, err)
}

func TestOutagesAreNotCachedAndRevocationTakesEffectAfterTheTTL(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Timeout = 200 * time.Millisecond }, srhttest.Options{})
	h := newHarness(f)
	tok := f.mint("registry.example.com/REGISTRY:RW")
	for _, fault := range []srhttest.Fault{srhttest.FaultServiceUnavailable, srhttest.FaultTruncated, srhttest.FaultReset, srhttest.FaultTooManyRequests} {
		f.meta.SetFault(fault)
		_, err := h.authenticate(context.Background(), basic(tok))
		wantUnavailable(t, err)
	}
	f.meta.SetFault(srhttest.FaultNone)
	if _, err := h.authenticate(context.Background(), basic(tok)); err != nil {
		t.Fatalf("after the outage: %v (an outage was cached)", err)
	}
	f.meta.Revoke(tok)
	if _, err := h.authenticate(context.Background(), basic(tok)); err != nil {
		t.Fatalf("within the TTL the cached identity stands: %v", err)
	}
	f.clock.Advance(h.ttl + time.Second)
	_, err := h.authenticate(context.Background(), basic(tok))
	wantInvalid(t, err)
	before := f.meta.CountToken(tok)
	_, err = h.authenticate(context.Background(), basic(tok))
	wantInvalid(t, err)
	if n := f.meta.CountToken(tok); n != before {
		t.Errorf("a definite refusal was not cached: meta calls %d -> %d", before, n)
	}
}

func TestNonCanonicalVariantsShareNoCacheEntryWithTheToken(t *testing.T) {
	f := newFixture(t, nil, srhttest.Options{})
	h := newHarness(f)
	tok := f.mint("registry.example.com/REGISTRY:RW")
	if _, err := h.authenticate(context.Background(), basic(tok)); err != nil {
		t.Fatal(err)
	}
	_, err := h.authenticate(context.Background(), basic(srhttest.NonCanonical(tok)))
	wantInvalid(t, err)
}
