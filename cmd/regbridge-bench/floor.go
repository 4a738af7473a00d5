package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"github.com/regbridge/regbridge/bridge"
)

// The net/http floor: a process that answers every request with a fixed
// body — the bytes of a real token response of the server under test —
// with the headers regbridge sends and a Content-Length, on the http.Server
// regbridge serves tokens with (bridge.NewHTTPServer: the same timeouts and
// header limit). Driven by the same load in the same run, its
// CPU per request is what any token server on net/http pays before it
// parses a request or signs anything.

// serveFloor runs the floor server on addr until SIGTERM or SIGINT.
func serveFloor(ctx context.Context, addr, bodyFile string) error {
	body, err := os.ReadFile(bodyFile)
	if err != nil {
		return err
	}
	length := []string{strconv.Itoa(len(body))}
	contentType, noStore := []string{"application/json"}, []string{"no-store"}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" {
			writeRuntimeMetrics(w)
			return
		}
		hd := w.Header()
		hd["Content-Type"], hd["Cache-Control"], hd["Content-Length"] = contentType, noStore, length
		w.Write(body)
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	hs := bridge.NewHTTPServer(h, nil)
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
	}()
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// spawnFloor starts this executable as a floor server answering body.
func spawnFloor(ctx context.Context, tmp string, body []byte) (*server, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(tmp, "regbridge-bench-floor-")
	if err != nil {
		return nil, err
	}
	bodyFile := filepath.Join(dir, "body.json")
	if err := os.WriteFile(bodyFile, body, 0o644); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	logf, err := os.Create(filepath.Join(dir, "floor.log"))
	if err != nil {
		return nil, err
	}
	s := &server{URL: "http://" + addr + "/token", Base: "http://" + addr, dir: dir, log: logf}
	s.cmd = exec.CommandContext(ctx, self, "--serve-floor", addr, "--floor-body", bodyFile)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	s.cmd.Cancel = func() error { return s.cmd.Process.Signal(syscall.SIGTERM) }
	s.cmd.WaitDelay = 10 * time.Second
	start := time.Now()
	if err := s.cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start the floor server: %w", err)
	}
	if err := s.waitReady(ctx, 10*time.Second); err != nil {
		s.stop()
		return nil, err
	}
	s.Startup = time.Since(start)
	return s, nil
}

// writeRuntimeMetrics answers the runtime counters the bench reads from a
// regbridge's /metrics, under the same names.
func writeRuntimeMetrics(w http.ResponseWriter) {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	fmt.Fprintf(w, "go_memstats_mallocs_total %d\ngo_memstats_alloc_bytes_total %d\ngo_gc_duration_seconds_count %d\n",
		m.Mallocs, m.TotalAlloc, m.NumGC)
}
