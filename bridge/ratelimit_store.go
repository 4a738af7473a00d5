package bridge

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// LimitStore keeps GCRA buckets (generic cell rate algorithm: one
// theoretical arrival time per key). A bucket lets one request through per
// interval on average and up to burst at once.
//
// Take asks for cost requests from the bucket key and charges them when
// allowed. A cost of 0 asks whether one more would be allowed and charges
// nothing. retryAfter is how long until the request would be allowed. An
// implementation shared by replicas MUST make each Take one atomic step.
type LimitStore interface {
	Take(ctx context.Context, key string, interval time.Duration, burst, cost int) (allowed bool, retryAfter time.Duration, err error)
}

// gcra is one GCRA step: tat is the stored arrival time (zero when none).
// It returns the decision and the arrival time to store (zero: unchanged).
func gcra(now, tat time.Time, interval time.Duration, burst, cost int) (bool, time.Duration, time.Time) {
	if tat.Before(now) {
		tat = now
	}
	c := max(cost, 1)
	next := tat.Add(time.Duration(c) * interval)
	over := next.Sub(now) - time.Duration(burst)*interval
	if over > 0 {
		return false, over, time.Time{}
	}
	if cost == 0 {
		return true, 0, time.Time{}
	}
	return true, 0, next
}

// DefaultMemoryLimitKeys bounds the buckets of a MemoryLimitStore.
const DefaultMemoryLimitKeys = 200_000

// MemoryLimitStore is a LimitStore in this process, bounded in size: the
// least recently used buckets go first, which can only let a forgotten
// client through early, never hold one back.
type MemoryLimitStore struct {
	mu  sync.Mutex
	lru *simplelru.LRU[string, time.Time]
	now func() time.Time
}

// NewMemoryLimitStore returns a store of at most size buckets (default
// DefaultMemoryLimitKeys) on the clock now (time.Now when nil).
func NewMemoryLimitStore(size int, now func() time.Time) *MemoryLimitStore {
	if size <= 0 {
		size = DefaultMemoryLimitKeys
	}
	if now == nil {
		now = time.Now
	}
	l, _ := simplelru.NewLRU[string, time.Time](size, nil)
	return &MemoryLimitStore{lru: l, now: now}
}

// Take implements LimitStore.
func (m *MemoryLimitStore) Take(_ context.Context, key string, interval time.Duration, burst, cost int) (bool, time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	tat, _ := m.lru.Get(key)
	ok, retry, next := gcra(now, tat, interval, burst, cost)
	if !next.IsZero() {
		m.lru.Add(key, next)
	}
	return ok, retry, nil
}

// limitStores is the store a limit uses: the shared one when configured,
// and the local one for the limits that fall back to it when the shared
// one fails.
type limitStores struct {
	shared LimitStore // nil: local only
	local  *MemoryLimitStore

	sharedErrors   atomic.Uint64
	fallbacks      atomic.Uint64
	closedRefusals atomic.Uint64
	lastError      atomic.Pointer[time.Time]
	failing        atomic.Bool
	now            func() time.Time
}

// take runs Take on the shared store, or on the local one when there is no
// shared store or, with mode local, when the shared one failed.
func (s *limitStores) take(ctx context.Context, key string, l Limit, cost int) (bool, time.Duration, error) {
	if s.shared == nil {
		return s.local.Take(ctx, key, l.interval(), l.Burst, cost)
	}
	ok, retry, err := s.shared.Take(ctx, key, l.interval(), l.Burst, cost)
	if err == nil {
		s.failing.Store(false)
		return ok, retry, nil
	}
	s.failing.Store(true)
	s.sharedErrors.Add(1)
	t := s.now()
	s.lastError.Store(&t)
	if l.OnStateError == OnStateErrorClosed {
		s.closedRefusals.Add(1)
		return false, 0, &limitStateError{err: err}
	}
	s.fallbacks.Add(1)
	return s.local.Take(ctx, key, l.interval(), l.Burst, cost)
}
