package main

import (
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
)

// defaultGOGC is the collector's target when GOGC is unset. A token server's
// live heap is small (a few MB, plus about 750 bytes per cached identity)
// and it allocates about 11 KB per token, most of it inside the ECDSA
// signature: at Go's default of 100 it collects 20–30 times a second under
// load, and every cycle also makes the scavenger return pages that the next
// second allocates again. 200 halves the cycles for a heap of at most three
// times the live data (docs/performance.md, "Garbage collector"). Below
// defaultHeapFloor it is raised, so that a small heap is not collected
// tens of times a second.
const defaultGOGC = 200

// cgroupMemoryMax is where cgroup v2 states the container's memory cap.
const cgroupMemoryMax = "/sys/fs/cgroup/memory.max"

// memoryLimitShare is the part of a container's memory cap given to the Go
// heap as a soft limit (the rest is stacks, buffers and the runtime).
const memoryLimitShare = 0.9

// gcSettings are the collector settings chosen at start-up.
type gcSettings struct {
	GOGC        int    // -1 when GOGC was set by the operator
	HeapFloor   uint64 // 0 when GOGC was set by the operator
	MemoryLimit int64  // 0 when none was set here
}

// chooseGC returns the settings for env: GOGC=defaultGOGC above a heap
// floor of defaultHeapFloor unless GOGC is set, and a soft memory limit of
// 90 % of the cgroup memory cap unless GOMEMLIMIT is set or there is no
// cap. readFile reads the cgroup file.
func chooseGC(env map[string]string, readFile func(string) ([]byte, error)) gcSettings {
	s := gcSettings{GOGC: -1}
	if _, ok := env["GOGC"]; !ok {
		s.GOGC, s.HeapFloor = defaultGOGC, defaultHeapFloor
	}
	if _, ok := env["GOMEMLIMIT"]; ok {
		return s
	}
	raw, err := readFile(cgroupMemoryMax)
	if err != nil {
		return s
	}
	max, err := strconv.ParseInt(strings.TrimSpace(string(raw)), 10, 64)
	if err != nil || max <= 0 { // "max": no cap
		return s
	}
	s.MemoryLimit = int64(float64(max) * memoryLimitShare)
	return s
}

// activeFloor stops the heap floor applyGC started last, so that a process
// that serves more than once (the tests) runs one floor at a time.
var activeFloor struct {
	sync.Mutex
	floor *heapFloor
}

// applyGC sets the collector as chooseGC says and logs what it set. The
// heap floor sets GOGC itself: chooseGC chooses a GOGC only with a floor.
func applyGC(env map[string]string, log *slog.Logger) {
	s := chooseGC(env, os.ReadFile)
	activeFloor.Lock()
	if activeFloor.floor != nil {
		activeFloor.floor.stop()
		activeFloor.floor = nil
	}
	if s.HeapFloor > 0 {
		activeFloor.floor = startHeapFloor(s.HeapFloor, s.GOGC)
	}
	activeFloor.Unlock()
	if s.MemoryLimit > 0 {
		debug.SetMemoryLimit(s.MemoryLimit)
	}
	if s.GOGC > 0 || s.MemoryLimit > 0 {
		log.Debug("garbage collector set", "gogc", s.GOGC, "heap_floor_bytes", s.HeapFloor, "memory_limit_bytes", s.MemoryLimit)
	}
}
