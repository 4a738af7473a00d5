package state

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/regbridge/regbridge/state/redistest"
)

// captureStdio redirects file descriptors 1 and 2 into a pipe until the
// returned function is called, which gives back what was written there.
func captureStdio(t *testing.T) func() string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var saved [3]int
	for _, fd := range []int{1, 2} {
		if saved[fd], err = syscall.Dup(fd); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Dup3(int(w.Fd()), fd, 0); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	done := make(chan struct{})
	go func() { io.Copy(&out, r); close(done) }()
	return func() string {
		for _, fd := range []int{1, 2} {
			syscall.Dup3(saved[fd], fd, 0)
			syscall.Close(saved[fd])
		}
		w.Close()
		<-done
		r.Close()
		return out.String()
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func TestARedisOutageWritesNoUnstructuredLinesAndOneLogLinePerInterval(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	var logs lockedBuffer
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	var clockMu sync.Mutex
	clock := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now }
	r := newStore(t, srv.URL(0), Options{Timeout: 200 * time.Millisecond, ClientLogInterval: time.Minute, Now: clock,
		Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	if !remember(t, r, "before", time.Now().Add(time.Minute)) {
		t.Fatal("not fresh while Redis was up")
	}
	srv.Stop()
	stop := captureStdio(t)
	for range 10 {
		r.Remember(context.Background(), "during", time.Now().Add(time.Minute))
	}
	clockMu.Lock()
	now = now.Add(time.Minute)
	clockMu.Unlock()
	r.Remember(context.Background(), "later", time.Now().Add(time.Minute))
	stdio := stop()
	if stdio != "" {
		t.Errorf("the outage wrote to stdout/stderr:\n%s", stdio)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d log lines over two intervals, want 2 (the client logs every failed dial):\n%s", len(lines), logs.String())
	}
	var second map[string]any
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil || m["msg"] != "redis client" || m["level"] != "WARN" {
			t.Errorf("line %d is not a structured redis client warning: %s", i, l)
		}
		second = m
	}
	if n, _ := second["not_logged_since_last_line"].(float64); n < 1 {
		t.Errorf("the second line does not count the messages not logged: %v", second)
	}
}
