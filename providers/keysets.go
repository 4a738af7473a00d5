package providers

import (
	"slices"
	"sync"
	"time"
)

// KeySets hands the verification keys a provider holds to the provider that
// replaces it when the configuration is reloaded, so that a reload neither
// throws the keys away (and, during an issuer outage, refuses every token
// until the issuer is back) nor fetches them again.
//
// Key sets are held under a key naming the document they are read from; what
// is held is opaque to the wiring and shared by every provider built with
// the same key.
type KeySets interface {
	// Hold returns the value held under key, storing create() first when
	// none is held.
	Hold(key string, create func() any) any
	// Peek returns the value held under key without holding it for the
	// configuration being built.
	Peek(key string) (any, bool)
}

// KeySetCache is an in-memory KeySets for one process. Entries that no
// provider asked for between two calls of Prune are forgotten at the second.
type KeySetCache struct {
	mu   sync.Mutex
	held map[string]any
	used map[string]bool
}

var _ KeySets = (*KeySetCache)(nil)

// NewKeySetCache returns an empty cache.
func NewKeySetCache() *KeySetCache {
	return &KeySetCache{held: map[string]any{}, used: map[string]bool{}}
}

// Hold implements KeySets.
func (c *KeySetCache) Hold(key string, create func() any) any {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.used[key] = true
	v, ok := c.held[key]
	if !ok {
		v = create()
		c.held[key] = v
	}
	return v
}

// Peek implements KeySets.
func (c *KeySetCache) Peek(key string) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.held[key]
	return v, ok
}

// Prune forgets the entries not held since the previous Prune. The wiring
// calls it after each configuration it accepts, so that the key sets of
// removed providers do not stay in memory.
func (c *KeySetCache) Prune() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.held {
		if !c.used[k] {
			delete(c.held, k)
		}
	}
	c.used = map[string]bool{}
}

// StaleKeys is a key set verifying tokens with keys read back from the
// state directory at start that no fetch has confirmed since.
type StaleKeys struct {
	// Source is the URL the keys were read from.
	Source string `json:"source"`
	// Fetched is when they were last fetched.
	Fetched time.Time `json:"fetched"`
}

// StaleKeysReporter is implemented by held key sets that may serve keys
// read back from the state directory.
type StaleKeysReporter interface {
	StaleKeys() (StaleKeys, bool)
}

// Stale lists the held key sets serving keys read back from the state
// directory, oldest first.
func (c *KeySetCache) Stale() []StaleKeys {
	c.mu.Lock()
	held := make([]any, 0, len(c.held))
	for _, v := range c.held {
		held = append(held, v)
	}
	c.mu.Unlock()
	var out []StaleKeys
	for _, v := range held {
		if r, ok := v.(StaleKeysReporter); ok {
			if s, stale := r.StaleKeys(); stale {
				out = append(out, s)
			}
		}
	}
	slices.SortFunc(out, func(a, b StaleKeys) int { return a.Fetched.Compare(b.Fetched) })
	return out
}
