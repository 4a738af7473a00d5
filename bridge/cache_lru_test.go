package bridge

import (
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
)

func TestAnIdentityInUseSurvivesAFloodOfNewCredentials(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	c := NewCredentialCache(CacheConfig{Size: 3, TTL: time.Hour, NegativeTTL: time.Hour}, func() time.Time { return now })
	key := func(b byte) [32]byte { return [32]byte{b} }
	c.store(key('a'), providers.Identity{Subject: "alice"}, nil, time.Hour, nil)
	c.store(key('b'), providers.Identity{Subject: "bob"}, nil, time.Hour, nil)
	c.store(key('c'), providers.Identity{Subject: "carol"}, nil, time.Hour, nil)
	now = now.Add(2 * promoteEvery)
	if _, ok := c.get(key('a'), nil); !ok {
		t.Fatal("alice is not cached")
	}
	// A spray of new credentials: each evicts the least recently used.
	c.store(key('x'), providers.Identity{}, providers.ErrInvalidCredential, time.Hour, nil)
	c.store(key('y'), providers.Identity{}, providers.ErrInvalidCredential, time.Hour, nil)
	if _, ok := c.get(key('a'), nil); !ok {
		t.Error("alice, in use, was evicted by new credentials")
	}
	for _, k := range []byte{'b', 'c'} {
		if _, ok := c.get(key(k), nil); ok {
			t.Errorf("entry %c, unused, outlived newer ones", k)
		}
	}
}

func TestHitsWithinASecondLeaveTheLRUOrderAlone(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	c := NewCredentialCache(CacheConfig{Size: 2, TTL: time.Hour}, func() time.Time { return now })
	key := func(b byte) [32]byte { return [32]byte{b} }
	c.store(key('a'), providers.Identity{Subject: "alice"}, nil, time.Hour, nil)
	c.store(key('b'), providers.Identity{Subject: "bob"}, nil, time.Hour, nil)
	now = now.Add(promoteEvery / 2)
	c.get(key('a'), nil) // read lock only: alice stays the oldest
	c.store(key('c'), providers.Identity{Subject: "carol"}, nil, time.Hour, nil)
	if _, ok := c.get(key('a'), nil); ok {
		t.Error("a hit within promoteEvery of the store moved the entry")
	}
}
