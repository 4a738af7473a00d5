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
// alone decides, as before; a fixed GOGC=800 would give the same floor but
// let a full cache's heap grow to nine times its live size.
const defaultHeapFloor = 32 << 20

// runtimeHeapMinimum is the Go runtime's smallest heap goal at GOGC=100;
// it scales with GOGC (8 MB at 200, 32 MB at 800), so a GOGC above
// floor/runtimeHeapMinimum × 100 would put the goal above the floor.
const runtimeHeapMinimum = 4 << 20

// heapSample is what the last collection measured: the heap it marked
// live, and the stacks and globals it scanned, which the runtime's heap
// goal counts as well (goal = live + (live + roots) × GOGC/100).
type heapSample struct {
	live, roots uint64
}

// floorPercent is the GOGC that puts the next heap goal at floor for the
// heap of s, and never below percent. While the live heap is small the
// runtime's minimum, scaled by GOGC, is the goal; as it grows, the goal
// proportional to it takes over, and from about floor/3 on (at
// percent=200) percent alone reaches the floor.
func floorPercent(s heapSample, floor uint64, percent int) int {
	if s.live == 0 || s.live >= floor {
		return percent
	}
	p := min((floor-s.live)*100/(s.live+s.roots), floor*100/runtimeHeapMinimum)
	return max(percent, int(p))
}

// heapFloor keeps the collector's heap goal at least floor bytes: after
// every cycle it reads the heap the cycle measured and sets GOGC to its
// floorPercent. It runs in the runtime's cleanup goroutine, once per cycle,
// and costs nothing while the server is idle.
type heapFloor struct {
	floor   uint64
	percent int
	set     func(int) int // debug.SetGCPercent
	sample  func() heapSample
	last    atomic.Int64
	stopped atomic.Bool
	// cycles counts the cycles seen, for tests.
	cycles atomic.Uint64
}

// gcSentinel is allocated for one cycle: its cleanup runs once the cycle
// has found it unreachable. It is larger than the tiny allocator's blocks,
// whose objects are freed together and late.
type gcSentinel struct{ _ [32]byte }

// startHeapFloor sets GOGC for the current heap and again after every
// collection, until the floor's stop is called.
func startHeapFloor(floor uint64, percent int) *heapFloor {
	h := &heapFloor{floor: floor, percent: percent, set: debug.SetGCPercent, sample: readHeapSample}
	h.start()
	return h
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

// adjust sets GOGC for the last collection's heap when the value moved by
// more than a tenth.
func (h *heapFloor) adjust() {
	p := int64(floorPercent(h.sample(), h.floor, h.percent))
	if last := h.last.Load(); last >= 0 && p*10 >= last*9 && p*10 <= last*11 {
		return
	}
	h.last.Store(p)
	h.set(int(p))
}

// heapMetrics are the runtime/metrics a heapSample is read from.
var heapMetrics = [...]string{"/gc/heap/live:bytes", "/gc/scan/stack:bytes", "/gc/scan/globals:bytes"}

// readHeapSample reads the last collection's heapSample from the runtime.
func readHeapSample() heapSample {
	var ms [len(heapMetrics)]metrics.Sample
	for i, name := range heapMetrics {
		ms[i].Name = name
	}
	metrics.Read(ms[:])
	var v [len(heapMetrics)]uint64
	for i, m := range ms {
		if m.Value.Kind() == metrics.KindUint64 {
			v[i] = m.Value.Uint64()
		}
	}
	return heapSample{live: v[0], roots: v[1] + v[2]}
}
