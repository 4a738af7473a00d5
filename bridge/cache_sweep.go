package bridge

import (
	"context"
	"sync"
	"time"
)

// defaultSweepInterval is how often expired credential cache entries are
// removed when cache.sweep_interval is not set. An entry is gone at most
// about this long (plus one expirySlot) after it expired.
const defaultSweepInterval = 10 * time.Second

// expirySlot is the width of the expiry index's slots. The sweep removes
// the entries of a slot once all of it has passed, so an entry outlives its
// expiry by less than one slot plus one sweep interval.
const expirySlot = time.Second

// sweepInterval is cfg's sweep interval, the default when unset or invalid.
func sweepInterval(cfg CacheConfig) time.Duration {
	if cfg.SweepInterval <= 0 {
		return defaultSweepInterval
	}
	return cfg.SweepInterval
}

// expiryIndex lists stored keys by the slot in which their entry expires,
// so that a sweep visits the entries that have expired and no other: it
// never walks the LRU (copying its keys holds the LRU's lock for the whole
// walk, tens of milliseconds at 100,000 entries) and its work follows what
// expired, not the cache size. A key is listed once per store; a listing
// whose entry was evicted, forgotten or stored again since is skipped by
// the sweep. The index holds about 32 bytes per entry stored within the
// longest TTL.
type expiryIndex struct {
	mu sync.Mutex
	// due maps a slot number (expiry time rounded up to expirySlot, in
	// slots since the Unix epoch) to the keys whose entry expires in it.
	due map[int64][][32]byte
}

// slotOf returns the slot of an entry expiring at t: the first slot whose
// end is not before t.
func slotOf(t time.Time) int64 {
	ns, w := t.UnixNano(), int64(expirySlot)
	return (ns + w - 1) / w
}

// note lists key as expiring at until.
func (x *expiryIndex) note(key [32]byte, until time.Time) {
	s := slotOf(until)
	x.mu.Lock()
	if x.due == nil {
		x.due = map[int64][][32]byte{}
	}
	x.due[s] = append(x.due[s], key)
	x.mu.Unlock()
}

// take removes and returns the keys of every slot that ended by now.
func (x *expiryIndex) take(now time.Time) [][][32]byte {
	end := now.UnixNano()
	x.mu.Lock()
	defer x.mu.Unlock()
	var out [][][32]byte
	for s, keys := range x.due {
		if s*int64(expirySlot) <= end {
			out = append(out, keys)
			delete(x.due, s)
		}
	}
	return out
}

// sweepOnce removes the entries that have expired by the cache's clock and
// returns how many it removed; they count as expiries, like an expired
// entry found by a lookup. Each removal takes the LRU's exclusive lock on
// its own and releases it at once, so a concurrent hit waits for at most
// one removal, never for the sweep.
func (c *CredentialCache) sweepOnce() int {
	if c.lru == nil {
		return 0
	}
	now := c.now()
	removed := 0
	for _, keys := range c.due.take(now) {
		for _, key := range keys {
			e, ok := c.lru.Peek(key)
			if !ok || now.Before(e.expires) {
				continue // evicted, forgotten, or stored again since
			}
			// Between Peek and Remove a lookup may have removed the entry
			// (Remove then reports false and it is counted once) or, rarely,
			// stored a fresh answer, which is then dropped: one more miss.
			if c.lru.Remove(key) {
				c.expiries.Add(1)
				removed++
			}
		}
	}
	return removed
}

// SweepCache removes expired credential cache entries every
// cache.sweep_interval until ctx is done, then returns. It sweeps the cache
// of the state in use at each tick, so a reload that starts a new cache
// needs no new sweeper. Run it in one goroutine for the server's lifetime.
func (s *Server) SweepCache(ctx context.Context) {
	sweepCaches(ctx, func() *CredentialCache { return s.State().Cache() })
}

// sweepCaches runs current().sweepOnce every current().sweepEvery until ctx
// is done.
func sweepCaches(ctx context.Context, current func() *CredentialCache) {
	t := time.NewTimer(current().sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		c := current()
		c.sweepOnce()
		t.Reset(c.sweepEvery)
	}
}
