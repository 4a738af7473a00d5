package bridge

import (
	"context"
	"encoding/binary"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
)

func sweepKey(i int) [32]byte {
	var k [32]byte
	binary.BigEndian.PutUint64(k[:], uint64(i))
	return k
}

func TestExpiredIdentitiesAreRemovedWithoutBeingPresentedAgain(t *testing.T) {
	clk := &clock{t: testNow}
	c := NewCredentialCache(CacheConfig{Size: 1000, TTL: time.Minute, NegativeTTL: 10 * time.Second}, clk.now)
	const n = 500
	for i := range n {
		c.store(sweepKey(i), providers.Identity{Subject: "user"}, nil, time.Minute, nil)
	}
	if got := c.sweepOnce(); got != 0 {
		t.Fatalf("a sweep before the TTL removed %d entries", got)
	}
	clk.add(time.Minute + expirySlot)
	if got := c.sweepOnce(); got != n {
		t.Errorf("the sweep removed %d entries, want %d", got, n)
	}
	if c.Len() != 0 {
		t.Errorf("%d expired entries are still held", c.Len())
	}
	c.due.mu.Lock()
	left := len(c.due.due)
	c.due.mu.Unlock()
	if left != 0 {
		t.Errorf("the expiry index still lists %d slots", left)
	}
}

func TestASweepKeepsEveryEntryThatHasNotExpired(t *testing.T) {
	rejected := providers.ErrInvalidCredential
	cases := []struct {
		name    string
		store   func(c *CredentialCache, clk *clock)
		advance time.Duration
		kept    bool
	}{
		{"a positive answer within its TTL", func(c *CredentialCache, _ *clock) {
			c.store(sweepKey(1), providers.Identity{Subject: "alice"}, nil, time.Minute, nil)
		}, 30 * time.Second, true},
		{"a positive answer past its TTL", func(c *CredentialCache, _ *clock) {
			c.store(sweepKey(1), providers.Identity{Subject: "alice"}, nil, time.Minute, nil)
		}, time.Minute + expirySlot, false},
		{"an identity whose credential expires before the TTL", func(c *CredentialCache, _ *clock) {
			c.store(sweepKey(1), providers.Identity{Subject: "alice", Expiry: testNow.Add(20 * time.Second)}, nil, time.Minute, nil)
		}, 30 * time.Second, false},
		{"a rejection within negative_ttl", func(c *CredentialCache, _ *clock) {
			c.store(sweepKey(1), providers.Identity{}, rejected, time.Minute, nil)
		}, 5 * time.Second, true},
		{"a rejection past negative_ttl", func(c *CredentialCache, _ *clock) {
			c.store(sweepKey(1), providers.Identity{}, rejected, time.Minute, nil)
		}, 10*time.Second + expirySlot, false},
		{"an entry stored again after its first answer expired", func(c *CredentialCache, clk *clock) {
			c.store(sweepKey(1), providers.Identity{Subject: "alice"}, nil, 10*time.Second, nil)
			clk.add(11 * time.Second)
			c.store(sweepKey(1), providers.Identity{Subject: "alice"}, nil, time.Minute, nil)
		}, 5 * time.Second, true},
		{"an entry within the slot that is still running", func(c *CredentialCache, _ *clock) {
			c.store(sweepKey(1), providers.Identity{Subject: "alice"}, nil, 10*time.Second, nil)
		}, 10*time.Second - expirySlot/2, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk := &clock{t: testNow}
			c := NewCredentialCache(CacheConfig{Size: 10, TTL: time.Minute, NegativeTTL: 10 * time.Second}, clk.now)
			tc.store(c, clk)
			clk.add(tc.advance)
			c.sweepOnce()
			_, held := c.lru.Peek(sweepKey(1))
			if held != tc.kept {
				t.Errorf("held after the sweep = %v, want %v", held, tc.kept)
			}
			if _, hit := c.get(sweepKey(1), nil); hit != tc.kept {
				t.Errorf("a lookup after the sweep hit = %v, want %v", hit, tc.kept)
			}
		})
	}
}

func TestASweepCountsExpiriesNotEvictions(t *testing.T) {
	clk := &clock{t: testNow}
	c := NewCredentialCache(CacheConfig{Size: 2, TTL: time.Minute, NegativeTTL: 10 * time.Second}, clk.now)
	for i := range 3 { // the third evicts the first
		c.store(sweepKey(i), providers.Identity{Subject: "user"}, nil, time.Minute, nil)
	}
	clk.add(time.Minute + expirySlot)
	c.sweepOnce()
	if _, hit := c.get(sweepKey(2), nil); hit {
		t.Fatal("an expired entry was answered after the sweep")
	}
	st := c.Stats()
	if st.Evictions != 1 || st.Expiries != 2 {
		t.Errorf("evictions %d, expiries %d; want 1 eviction (the third store) and 2 expiries (the sweep)", st.Evictions, st.Expiries)
	}
}

func TestHitsDuringASweepAnswerLiveEntriesAndNeverExpiredOnes(t *testing.T) {
	clk := &clock{t: testNow}
	c := NewCredentialCache(CacheConfig{Size: 10000, TTL: time.Hour, NegativeTTL: 10 * time.Second}, clk.now)
	const live, dead = 2000, 2000
	for i := range live {
		c.store(sweepKey(i), providers.Identity{Subject: "live"}, nil, time.Hour, nil)
	}
	for i := range dead {
		c.store(sweepKey(live+i), providers.Identity{Subject: "dead"}, nil, time.Second, nil)
	}
	clk.add(time.Second + expirySlot)

	var stop atomic.Bool
	var wrong atomic.Int64
	var wg, started sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		started.Add(1)
		go func() {
			defer wg.Done()
			for i := w; !stop.Load(); i += 4 {
				if i == w+4 {
					started.Done()
				}
				if _, hit := c.get(sweepKey(i%live), nil); !hit {
					wrong.Add(1)
				}
				if _, hit := c.get(sweepKey(live+i%dead), nil); hit {
					wrong.Add(1)
				}
			}
		}()
	}
	wg.Add(1)
	go func() { // lets hits move entries to the front under the write lock
		defer wg.Done()
		for i := 0; i < 100 && !stop.Load(); i++ { // 100 s, well within the live TTL
			clk.add(promoteEvery)
			runtime.Gosched()
		}
	}()
	started.Wait()
	removed := c.sweepOnce()
	stop.Store(true)
	wg.Wait()
	if n := wrong.Load(); n != 0 {
		t.Errorf("%d lookups during the sweep answered wrongly", n)
	}
	if c.Len() != live {
		t.Errorf("%d entries held after the sweep, want the %d live ones", c.Len(), live)
	}
	if st := c.Stats(); st.Expiries != dead || st.Evictions != 0 {
		t.Errorf("expiries %d (the sweep removed %d), evictions %d; want %d expiries counted once, 0 evictions",
			st.Expiries, removed, st.Evictions, dead)
	}
}

// swapCache makes env's server use c, as a reload that changed the cache
// settings does.
func swapCache(env *testEnv, c *CredentialCache) {
	st := *env.srv.State()
	st.cache = c
	env.srv.Swap(&st, "test")
}

func TestTheSweeperRemovesExpiredEntriesOfTheCacheInUseOnEachTick(t *testing.T) {
	env := newTestEnv(t, testPolicy)
	clk := &clock{t: testNow}
	c := NewCredentialCache(CacheConfig{Size: 100, TTL: time.Minute, SweepInterval: 5 * time.Millisecond}, clk.now)
	swapCache(env, c)
	for i := range 10 {
		c.store(sweepKey(i), providers.Identity{Subject: "user"}, nil, time.Second, nil)
	}
	clk.add(time.Second + expirySlot)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go env.srv.SweepCache(ctx)
	deadline := time.Now().Add(5 * time.Second)
	for c.Len() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d expired entries are still held after 5 s of ticks every 5 ms", c.Len())
		}
		time.Sleep(time.Millisecond)
	}
}

func TestTheSweeperStopsWhenTheServerStops(t *testing.T) {
	env := newTestEnv(t, testPolicy)
	clk := &clock{t: testNow}
	swapCache(env, NewCredentialCache(CacheConfig{Size: 100, TTL: time.Minute, SweepInterval: time.Millisecond}, clk.now))
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		env.srv.SweepCache(ctx)
	}()
	time.Sleep(10 * time.Millisecond) // a few ticks
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("SweepCache did not return after its context ended")
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines after the sweeper stopped, %d before it started", runtime.NumGoroutine(), before)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestTheSweepIntervalDefaultsToTenSecondsAndMayNotBeNegative(t *testing.T) {
	cases := []struct {
		name    string
		set     time.Duration
		want    time.Duration
		refused bool
	}{
		{"unset", 0, defaultSweepInterval, false},
		{"set", time.Minute, time.Minute, false},
		{"negative", -time.Second, -time.Second, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := CacheConfig{SweepInterval: tc.set}.WithDefaults()
			if cfg.SweepInterval != tc.want {
				t.Errorf("sweep_interval = %s, want %s", cfg.SweepInterval, tc.want)
			}
			if err := cfg.Validate(); (err != nil) != tc.refused {
				t.Errorf("Validate() = %v, want refused %v", err, tc.refused)
			}
			if got := NewCredentialCache(cfg, time.Now).sweepEvery; got <= 0 {
				t.Errorf("the cache sweeps every %s", got)
			}
		})
	}
}
