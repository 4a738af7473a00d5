package providers

import (
	"context"
	"sync"
	"time"
)

// MemoryReplay is an in-process ReplayStore for a single replica. Its size is
// bounded: when full it refuses new keys (fail closed) rather than forgetting
// live ones.
type MemoryReplay struct {
	mu    sync.Mutex
	keys  map[string]time.Time
	now   func() time.Time
	limit int
}

// NewMemoryReplay returns a store holding at most limit live keys.
func NewMemoryReplay(limit int, now func() time.Time) *MemoryReplay {
	if now == nil {
		now = time.Now
	}
	return &MemoryReplay{keys: make(map[string]time.Time), now: now, limit: limit}
}

// ErrReplayStoreFull is returned when a MemoryReplay holds limit live keys.
var ErrReplayStoreFull = &UnavailableError{RetryAfter: time.Second, Err: errReplayFull}

var errReplayFull = errorString("providers: replay store full")

type errorString string

func (e errorString) Error() string { return string(e) }

// Remember implements ReplayStore.
func (m *MemoryReplay) Remember(_ context.Context, key string, until time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if exp, ok := m.keys[key]; ok && now.Before(exp) {
		return false, nil
	}
	if len(m.keys) >= m.limit {
		for k, exp := range m.keys {
			if !now.Before(exp) {
				delete(m.keys, k)
			}
		}
		if len(m.keys) >= m.limit {
			return false, ErrReplayStoreFull
		}
	}
	m.keys[key] = until
	return true, nil
}
