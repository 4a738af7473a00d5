package bridge

import (
	"context"
	"crypto/sha256"
	"errors"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"

	"github.com/regbridge/regbridge/providers"
)

// CredentialCache remembers provider answers, keyed by a hash of the
// provider id and the credential. Raw secrets are never stored.
//
// Positive entries live min(ttl, identity expiry − now); definite rejections
// live negativeTTL; unavailable upstreams are never cached. Concurrent misses
// for one key make one provider call.
type CredentialCache struct {
	lru         *lru.Cache[[32]byte, cacheEntry]
	ttl         time.Duration
	negativeTTL time.Duration
	now         func() time.Time
	group       singleflight.Group
	// perms holds forge answers about repositories, per credential.
	perms *permissionCache
	// due and sweepEvery drive the sweep of expired entries (cache_sweep.go).
	due        expiryIndex
	sweepEvery time.Duration

	hits, misses, evictions, expiries atomic.Uint64
}

type cacheEntry struct {
	id      providers.Identity
	err     error
	expires time.Time
	// kept is the claim set id was trimmed to (nil: untrimmed).
	kept *claimKeep
	// promoted is when a hit last moved the entry to the front of the LRU
	// (Unix nanoseconds).
	promoted *atomic.Int64
}

// promoteEvery is how often a hit moves an entry to the front of the LRU
// order. A hit reads under the cache's read lock; moving the entry needs
// its write lock, which every concurrent hit then waits for. At most one
// move per entry per second keeps the LRU order of every entry that is in
// use (entries live 60 s by default) without making each hit exclusive.
const promoteEvery = time.Second

// NewCredentialCache returns a cache sized by cfg (defaults applied by the
// caller). A size of 0 disables caching but keeps the singleflight.
func NewCredentialCache(cfg CacheConfig, now func() time.Time) *CredentialCache {
	c := &CredentialCache{ttl: cfg.TTL, negativeTTL: cfg.NegativeTTL, now: now, perms: newPermissionCache(cfg.Size, now),
		sweepEvery: sweepInterval(cfg)}
	if cfg.Size > 0 {
		c.lru, _ = lru.New[[32]byte, cacheEntry](cfg.Size)
	}
	return c
}

// CacheStats are counters since start. Evictions are entries dropped to make
// room for new ones; Expiries are entries dropped because they had expired.
type CacheStats struct{ Hits, Misses, Evictions, Expiries uint64 }

// Stats returns the cache counters.
func (c *CredentialCache) Stats() CacheStats {
	return CacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Evictions: c.evictions.Load(), Expiries: c.expiries.Load()}
}

// Len returns the number of entries held.
func (c *CredentialCache) Len() int {
	if c.lru == nil {
		return 0
	}
	return c.lru.Len()
}

// cacheKey hashes the provider id and the credential's key material. The
// username is part of the key for Basic credentials so that one password
// under two usernames is two entries.
func cacheKey(reg *Registered, cred providers.Credential) [32]byte {
	material := cred.Secret.Reveal()
	if k, ok := reg.Provider.(providers.CacheKeyer); ok {
		if m, ok := k.CacheKey(cred); ok {
			material = m
		}
	}
	h := sha256.New()
	h.Write([]byte(reg.ID))
	h.Write([]byte{0})
	h.Write([]byte(cred.Scheme))
	h.Write([]byte{0})
	h.Write([]byte(cred.Username))
	h.Write([]byte{0})
	h.Write([]byte(material))
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// Authenticate returns the cached answer for cred or asks the provider.
// hit reports whether the answer came from the cache.
func (c *CredentialCache) Authenticate(ctx context.Context, reg *Registered, cred providers.Credential) (id providers.Identity, hit bool, err error) {
	return c.authenticate(ctx, cacheKey(reg, cred), reg, cred, nil)
}

// authenticate is Authenticate with the key already computed; identities
// are cached with only the claims in keep (nil: every claim), and an entry
// trimmed to a set that lacks one of keep's is a miss.
func (c *CredentialCache) authenticate(ctx context.Context, key [32]byte, reg *Registered, cred providers.Credential, keep *claimKeep) (id providers.Identity, hit bool, err error) {
	if e, ok := c.get(key, keep); ok {
		c.hits.Add(1)
		return e.id, true, e.err
	}
	c.misses.Add(1)
	v, err, _ := c.group.Do(keep.flightKey(key), func() (any, error) {
		if e, ok := c.get(key, keep); ok {
			return e.id, e.err
		}
		release, err := enterProvider(ctx, reg)
		if err != nil {
			return providers.Identity{}, err
		}
		id, err := reg.Provider.Authenticate(context.WithoutCancel(ctx), cred)
		release()
		if err == nil {
			id.Provider = reg.ID
			id = keep.trim(id)
		}
		ttl := c.ttl
		if t, ok := reg.Provider.(providers.CacheTTLer); ok && t.CacheTTL() > 0 {
			ttl = min(ttl, t.CacheTTL())
		}
		c.store(key, id, err, ttl, keep)
		return id, err
	})
	id, _ = v.(providers.Identity)
	return id, false, err
}

// forget drops the cached identity for key when err is a definite
// rejection (a forge that refuses the credential it accepted at login).
func (c *CredentialCache) forget(key [32]byte, err error) {
	if c.lru != nil && errors.Is(err, providers.ErrInvalidCredential) && !errors.Is(err, providers.ErrUnavailable) {
		c.lru.Remove(key)
	}
}

func (c *CredentialCache) get(key [32]byte, keep *claimKeep) (cacheEntry, bool) {
	if c.lru == nil {
		return cacheEntry{}, false
	}
	e, ok := c.lru.Peek(key)
	if !ok {
		return cacheEntry{}, false
	}
	now := c.now()
	if !now.Before(e.expires) {
		if c.lru.Remove(key) {
			c.expiries.Add(1)
		}
		return cacheEntry{}, false
	}
	if e.err == nil && !keep.coveredBy(e.kept) {
		return cacheEntry{}, false
	}
	if t := now.UnixNano(); e.promoted != nil && t-e.promoted.Load() >= int64(promoteEvery) {
		e.promoted.Store(t)
		c.lru.Get(key)
	}
	return e, true
}

func (c *CredentialCache) store(key [32]byte, id providers.Identity, err error, ttl time.Duration, kept *claimKeep) {
	if c.lru == nil {
		return
	}
	now := c.now()
	var until time.Time
	switch {
	case err == nil:
		until = now.Add(ttl)
		if !id.Expiry.IsZero() && id.Expiry.Before(until) {
			until = id.Expiry
		}
	case errors.Is(err, providers.ErrInvalidCredential) && !errors.Is(err, providers.ErrUnavailable):
		until = now.Add(c.negativeTTL)
	default:
		return
	}
	if !now.Before(until) {
		return
	}
	promoted := new(atomic.Int64)
	promoted.Store(now.UnixNano())
	if c.lru.Add(key, cacheEntry{id: id, err: err, expires: until, kept: kept, promoted: promoted}) {
		c.evictions.Add(1)
	}
	c.due.note(key, until)
}
