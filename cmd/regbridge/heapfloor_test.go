package main

import (
	"log/slog"
	goruntime "runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"testing"
	"time"
)

func TestTheHeapFloorRaisesGOGCOnlyWhileTheLiveHeapIsSmall(t *testing.T) {
	const floor = 32 << 20
	cases := []struct {
		live, roots uint64
		want        int
	}{
		{0, 0, 200},             // nothing measured yet: GOGC alone
		{1 << 20, 0, 800},       // 1 MiB live: the runtime minimum at 800 is the floor, 32 MiB
		{4 << 20, 0, 700},       // 4 MiB: 4 + 28
		{floor / 3, 0, 200},     // a third of the floor: GOGC=200 reaches it
		{floor / 2, 0, 200},     // above a third: GOGC alone, as before
		{floor, 0, 200},         //
		{10 * floor, 0, 200},    // a full cache
		{100 << 10, 0, 800},     // at start-up: the same
		{8 << 20, 0, 300},       // 8 MiB: 8 + 24
		{2 << 20, 2 << 20, 750}, // stacks and globals count towards the goal too: 2 + 4 × 7.5
		{0, 1 << 20, 200},       // no heap measured
	}
	for _, tc := range cases {
		if got := floorPercent(heapSample{tc.live, tc.roots}, floor, 200); got != tc.want {
			t.Errorf("floorPercent(live %d, roots %d) = %d, want %d", tc.live, tc.roots, got, tc.want)
		}
	}
}

// fakeFloor is a heapFloor whose live heap and GOGC are the test's.
type fakeFloor struct {
	mu   sync.Mutex
	live uint64
	sets []int
}

func (f *fakeFloor) heapFloor() *heapFloor {
	return &heapFloor{floor: 32 << 20, percent: 200,
		sample: func() heapSample { f.mu.Lock(); defer f.mu.Unlock(); return heapSample{live: f.live} },
		set:    func(p int) int { f.mu.Lock(); defer f.mu.Unlock(); f.sets = append(f.sets, p); return 0 }}
}

func (f *fakeFloor) setLive(v uint64) { f.mu.Lock(); f.live = v; f.mu.Unlock() }

func (f *fakeFloor) calls() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int(nil), f.sets...)
}

// collectUntil runs collections until h has seen more than n cycles.
func collectUntil(t *testing.T, h *heapFloor, n uint64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for h.cycles.Load() <= n {
		if time.Now().After(deadline) {
			t.Fatalf("the heap floor saw %d collections, want more than %d", h.cycles.Load(), n)
		}
		goruntime.GC()
		time.Sleep(time.Millisecond)
	}
}

func TestTheHeapFloorFollowsTheLiveHeapAfterEveryCollection(t *testing.T) {
	f := &fakeFloor{live: 1 << 20}
	h := f.heapFloor()
	h.start()
	defer h.stop()
	if got := f.calls(); len(got) != 1 || got[0] != 800 {
		t.Fatalf("at start GOGC was set to %v, want [800]", got)
	}

	// A live heap within a tenth of the last one leaves GOGC alone.
	f.setLive(1<<20 + 1<<16)
	collectUntil(t, h, 0)
	if got := f.calls(); len(got) != 1 {
		t.Fatalf("a small change of the live heap set GOGC again: %v", got)
	}

	// The cache fills: the next collection gives GOGC back to 200.
	f.setLive(64 << 20)
	c := h.cycles.Load()
	collectUntil(t, h, c)
	if got := f.calls(); len(got) != 2 || got[1] != 200 {
		t.Fatalf("with 64 MiB live GOGC was set to %v, want [800 200]", got)
	}

	// Stopped, it sets nothing more and no longer re-arms.
	h.stop()
	f.setLive(1 << 20)
	goruntime.GC()
	goruntime.GC()
	time.Sleep(10 * time.Millisecond)
	if got := f.calls(); len(got) != 2 {
		t.Fatalf("a stopped heap floor set GOGC: %v", got)
	}
}

func TestTheHeapGoalIsTheFloorWhileTheLiveHeapIsSmall(t *testing.T) {
	const floor = 32 << 20
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	h := &heapFloor{floor: floor, percent: 200, set: debug.SetGCPercent, sample: readHeapSample}
	h.start()
	defer h.stop()
	collectUntil(t, h, 2)
	if live := readHeapSample().live; live > floor/4 {
		t.Skipf("the test binary's live heap is %d bytes, too large for this check", live)
	}
	goal := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}}
	metrics.Read(goal)
	if got := goal[0].Value.Uint64(); got < floor*9/10 || got > floor*11/10 {
		t.Errorf("the runtime's heap goal is %d bytes, want the floor, %d ± 10 %%", got, floor)
	}
}

func TestTheLiveHeapIsReadFromTheRuntime(t *testing.T) {
	keep := make([]byte, 8<<20)
	goruntime.GC()
	s := readHeapSample()
	if s.live < 8<<20 {
		t.Errorf("live heap %d with 8 MiB held, want at least that", s.live)
	}
	if s.roots == 0 {
		t.Error("no stacks or globals were read")
	}
	goruntime.KeepAlive(keep)
}

func TestServingAgainRunsOneHeapFloorAtATime(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	log := slog.New(slog.DiscardHandler)
	current := func() *heapFloor {
		activeFloor.Lock()
		defer activeFloor.Unlock()
		return activeFloor.floor
	}
	applyGC(map[string]string{}, log)
	first := current()
	if first == nil {
		t.Fatal("with GOGC unset no heap floor runs")
	}
	applyGC(map[string]string{}, log)
	if second := current(); second == nil || second == first || !first.stopped.Load() {
		t.Fatal("serving again left the first heap floor running or started none")
	}
	applyGC(map[string]string{"GOGC": "100"}, log)
	if current() != nil {
		t.Fatal("with GOGC set a heap floor still runs")
	}
}
