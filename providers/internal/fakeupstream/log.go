package fakeupstream

import "sync"

// Log records the requests a fake received, for tests that count upstream
// calls. It is safe for concurrent use; the zero value is empty.
type Log[R any] struct {
	mu sync.Mutex
	rs []R
}

// Add records r.
func (l *Log[R]) Add(r R) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rs = append(l.rs, r)
}

// All returns a copy of the records, oldest first.
func (l *Log[R]) All() []R {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]R(nil), l.rs...)
}

// Count returns how many records match (all of them when match is nil).
func (l *Log[R]) Count(match func(R) bool) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if match == nil {
		return len(l.rs)
	}
	n := 0
	for _, r := range l.rs {
		if match(r) {
			n++
		}
	}
	return n
}

// Reset forgets every record.
func (l *Log[R]) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rs = nil
}
