package bridge

import (
	"context"
	"sync/atomic"
	"time"
)

// gate bounds the provider calls in flight for one provider: slots run at
// once, up to queue more wait at most maxWait, and the rest are refused at
// once, so that latency under a flood of cache misses stays bounded.
type gate struct {
	provider string
	slots    chan struct{}
	queue    int64
	maxWait  time.Duration
	waiting  atomic.Int64
	refused  atomic.Uint64
}

// newGate is the gate of a provider: of local accounts (hashing) or not.
func newGate(provider string, hashing bool, cfg ConcurrencyConfig) *gate {
	slots := cfg.Upstream
	if hashing {
		slots = cfg.PasswordHashing
	}
	g := &gate{provider: provider, queue: int64(cfg.Queue), maxWait: cfg.MaxWait}
	if g.queue == 0 {
		g.queue = 4 * int64(max(slots, 0))
	}
	if slots > 0 {
		g.slots = make(chan struct{}, slots)
	}
	return g
}

// enter takes a slot, waiting in the queue when there is room in it.
func (g *gate) enter(ctx context.Context) (func(), error) {
	if g.slots == nil {
		return func() {}, nil
	}
	select {
	case g.slots <- struct{}{}:
		return g.leave, nil
	default:
	}
	if g.waiting.Add(1) > g.queue {
		g.waiting.Add(-1)
		g.refused.Add(1)
		return nil, &overloadError{provider: g.provider}
	}
	defer g.waiting.Add(-1)
	t := time.NewTimer(g.maxWait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return g.leave, nil
	case <-t.C:
	case <-ctx.Done():
	}
	g.refused.Add(1)
	return nil, &overloadError{provider: g.provider}
}

func (g *gate) leave() { <-g.slots }

// inFlight is the number of calls holding a slot.
func (g *gate) inFlight() int { return len(g.slots) }
