package state

import (
	"context"
	"sync"
	"time"

	"github.com/regbridge/regbridge/providers"
)

// MemoryRefresh keeps refresh-token idle records and revocations for one
// replica. Its size is bounded: when full it refuses new records (fail
// closed) rather than forgetting live ones.
type MemoryRefresh struct {
	mu      sync.Mutex
	now     func() time.Time
	limit   int
	idle    map[string]time.Time // token id → end of its idle period
	revoked map[string]revocation
}

type revocation struct{ at, until time.Time }

// NewMemoryRefresh returns a store holding at most limit records of each
// kind.
func NewMemoryRefresh(limit int, now func() time.Time) *MemoryRefresh {
	if now == nil {
		now = time.Now
	}
	return &MemoryRefresh{now: now, limit: limit, idle: map[string]time.Time{}, revoked: map[string]revocation{}}
}

// errMemoryFull is returned when a MemoryRefresh is full.
var errMemoryFull = &providers.UnavailableError{RetryAfter: time.Second, Err: errorString("state: refresh store full")}

type errorString string

func (e errorString) Error() string { return string(e) }

// StartRefresh implements bridge.RefreshStore.
func (m *MemoryRefresh) StartRefresh(_ context.Context, id string, idle time.Duration, until time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if len(m.idle) >= m.limit {
		for k, end := range m.idle {
			if !now.Before(end) {
				delete(m.idle, k)
			}
		}
		if len(m.idle) >= m.limit {
			return errMemoryFull
		}
	}
	m.idle[id] = idleEnd(now, idle, until)
	return nil
}

// TouchRefresh implements bridge.RefreshStore.
func (m *MemoryRefresh) TouchRefresh(_ context.Context, id string, idle time.Duration, until time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	end, ok := m.idle[id]
	if !ok || !now.Before(end) {
		delete(m.idle, id)
		return false, nil
	}
	m.idle[id] = idleEnd(now, idle, until)
	return true, nil
}

// RevokeRefresh implements bridge.RefreshStore.
func (m *MemoryRefresh) RevokeRefresh(_ context.Context, key string, at, until time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if _, ok := m.revoked[key]; !ok && len(m.revoked) >= m.limit {
		for k, r := range m.revoked {
			if !now.Before(r.until) {
				delete(m.revoked, k)
			}
		}
		if len(m.revoked) >= m.limit {
			return errMemoryFull
		}
	}
	m.revoked[key] = revocation{at: at, until: until}
	return nil
}

// RefreshRevokedAt implements bridge.RefreshStore.
func (m *MemoryRefresh) RefreshRevokedAt(_ context.Context, keys []string) (time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	var latest time.Time
	for _, k := range keys {
		if r, ok := m.revoked[k]; ok && now.Before(r.until) && r.at.After(latest) {
			latest = r.at
		}
	}
	return latest, nil
}

func idleEnd(now time.Time, idle time.Duration, until time.Time) time.Time {
	end := now.Add(idle)
	if !until.IsZero() && until.Before(end) {
		end = until
	}
	return end
}
