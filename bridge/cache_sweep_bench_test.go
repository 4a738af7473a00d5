package bridge

import (
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
)

// heapInuse returns runtime.MemStats.HeapInuse after a full collection.
func heapInuse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// oidcLike is an identity shaped like a trimmed OIDC one: a few claims the
// policy reads, each token with its own jti.
func oidcLike(i int) providers.Identity {
	n := strconv.Itoa(i)
	return providers.Identity{
		Subject:  "repo:org/app" + n + ":ref:refs/heads/main",
		Username: "app" + n,
		Claims: map[string]any{
			"iss": "https://issuer.example", "sub": "repo:org/app" + n + ":ref:refs/heads/main",
			"aud": "registry.example", "repository": "org/app" + n, "ref": "refs/heads/main",
			"jti": "jti-" + n, "exp": float64(1_800_000_000 + i),
		},
	}
}

// hitLatencies returns the sorted latencies of lookups of key, made in a
// loop by another goroutine while during runs.
func hitLatencies(tb testing.TB, c *CredentialCache, key [32]byte, during func()) []time.Duration {
	var stop atomic.Bool
	var lats []time.Duration
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			start := time.Now()
			_, hit := c.get(key, nil)
			lats = append(lats, time.Since(start))
			if !hit {
				tb.Error("the live entry was not answered")
				return
			}
		}
	}()
	during()
	stop.Store(true)
	wg.Wait()
	slices.Sort(lats)
	return lats
}

// BenchmarkSweepOfNeverReusedIdentities stores 100,000 identities that are
// never presented again, lets their TTL pass and sweeps once, while another
// goroutine looks a live entry up in a loop. It reports the heap in use
// before the stores, with every entry held (what stays without a sweep
// until cache.size fills) and after the sweep; the sweep's time per entry;
// and the 99.9th percentile of the lookups during the sweep against the
// same lookups for as long without one (the maximum, on a shared machine,
// measures the scheduler more than the cache).
func BenchmarkSweepOfNeverReusedIdentities(b *testing.B) {
	const n = 100_000
	live := sweepKey(-1)
	for range b.N {
		clk := &clock{t: testNow}
		c := NewCredentialCache(CacheConfig{Size: 200_000, TTL: time.Minute}, clk.now)
		c.store(live, providers.Identity{Subject: "live"}, nil, time.Hour, nil)
		empty := heapInuse()
		for i := range n {
			c.store(sweepKey(i), oidcLike(i), nil, time.Minute, nil)
		}
		full := heapInuse()
		clk.add(time.Minute + expirySlot)

		var removed int
		var took time.Duration
		during := hitLatencies(b, c, live, func() {
			start := time.Now()
			removed = c.sweepOnce()
			took = time.Since(start)
		})
		if removed != n {
			b.Fatalf("the sweep removed %d of %d entries", removed, n)
		}
		idle := hitLatencies(b, c, live, func() { time.Sleep(took) })
		p999, idle999 := during[len(during)*999/1000], idle[len(idle)*999/1000]
		during, idle = nil, nil
		swept := heapInuse()
		runtime.KeepAlive(c)
		b.ReportMetric(float64(empty)/(1<<20), "MiB-empty")
		b.ReportMetric(float64(full)/(1<<20), "MiB-held")
		b.ReportMetric(float64(swept)/(1<<20), "MiB-swept")
		b.ReportMetric(float64(took.Nanoseconds())/n, "ns/swept-entry")
		b.ReportMetric(float64(p999.Nanoseconds()), "ns-p999-hit-sweeping")
		b.ReportMetric(float64(idle999.Nanoseconds()), "ns-p999-hit-idle")
	}
}
