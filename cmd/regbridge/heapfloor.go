package main

import (
	goruntime "runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// defaultHeapFloor is the heap size below which the collector does not run
// when GOGC is unset: Go's own minimum is 4 MB × GOGC/100. A token server's
// live heap is about 1 MB plus its caches, and every token leaves about
// 9 KB of garbage, so with GOGC=200 alone the heap goal is Go's minimum of
// 8 MB and the collector runs about 30 times a second at 20,000 tokens a
// second, each cycle scanning every goroutine's stack and shrinking the
// idle ones, which the next request grows again. With a 32 MiB floor it
// runs about 7 times a second and its own CPU per token falls from about
// 3.4 to 0.7 µs (docs/performance.md, "Garbage collector"). Once the live
// heap is above a third of the floor (a full credential cache), GOGC=200
// alone decides, as before.
const defaultHeapFloor = 32 << 20

// maxFloorPercent bounds the GOGC the floor sets while the live heap is
// tiny (at start-up); the memory limit, when there is one, still applies.
const maxFloorPercent = 10000

// liveHeapMetric is the heap the last cycle marked live.
const liveHeapMetric = "/gc/heap/live:bytes"

// floorPercent is the GOGC that puts the next heap goal at floor for a live
// heap of live bytes, and never below percent.
func floorPercent(live, floor uint64, percent int) int {
	if live == 0 || live >= floor {
		return percent
	}
	p := (floor - live) * 100 / live
	if p > maxFloorPercent {
		p = maxFloorPercent
	}
	return max(percent, int(p))
}

// heapFloor keeps the collector's heap goal at least floor bytes: after
// every cycle it reads the live heap and sets GOGC to floorPercent of it.
// It runs in the runtime's cleanup goroutine, once per cycle, and costs
// nothing while the server is idle.
type heapFloor struct {
	floor   uint64
	percent int
	set     func(int) int // debug.SetGCPercent
	live    func() uint64
	last    atomic.Int64
	stopped atomic.Bool
	// cycles counts the cycles seen, for tests.
	cycles atomic.Uint64
}

// gcSentinel is allocated for one cycle: its cleanup runs once the cycle
// has found it unreachable. It is larger than the tiny allocator's blocks,
// whose objects are freed together and late.
type gcSentinel struct{ _ [32]byte }

// startHeapFloor sets GOGC for the current live heap and again after every
// collection, until stop is called.
func startHeapFloor(floor uint64, percent int) (stop func()) {
	h := &heapFloor{floor: floor, percent: percent, set: debug.SetGCPercent, live: readLiveHeap}
	h.start()
	return h.stop
}

func (h *heapFloor) start() {
	h.last.Store(-1)
	h.adjust()
	h.arm()
}

func (h *heapFloor) stop() { h.stopped.Store(true) }

// arm attaches the next cycle's cleanup.
func (h *heapFloor) arm() {
	goruntime.AddCleanup(new(gcSentinel), func(h *heapFloor) {
		if h.stopped.Load() {
			return
		}
		h.cycles.Add(1)
		h.adjust()
		h.arm()
	}, h)
}

// adjust sets GOGC for the live heap when it changed by more than a tenth.
func (h *heapFloor) adjust() {
	p := int64(floorPercent(h.live(), h.floor, h.percent))
	if last := h.last.Load(); last >= 0 && p*10 >= last*9 && p*10 <= last*11 {
		return
	}
	h.last.Store(p)
	h.set(int(p))
}

// readLiveHeap is the live heap of the last cycle, in bytes.
func readLiveHeap() uint64 {
	s := []metrics.Sample{{Name: liveHeapMetric}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
