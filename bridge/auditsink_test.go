package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// diskWriter is a sink that works, is full (writes nothing), or takes only
// the first half of every write before the disk fills.
type diskWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	mode string // "ok", "full" or "half"
}

func (d *diskWriter) set(mode string) { d.mu.Lock(); d.mode = mode; d.mu.Unlock() }

func (d *diskWriter) Write(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch d.mode {
	case "full":
		return 0, syscall.ENOSPC
	case "half":
		d.buf.Write(p[:len(p)/2])
		return len(p) / 2, syscall.ENOSPC
	}
	return d.buf.Write(p)
}

func (d *diskWriter) String() string { d.mu.Lock(); defer d.mu.Unlock(); return d.buf.String() }

// undoWriter is a diskWriter that can take a fragment back, as AuditFile
// does.
type undoWriter struct{ diskWriter }

func (u *undoWriter) UndoPartial(n int) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.buf.Truncate(u.buf.Len() - n)
	return nil
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// failingAuditEnv serves with an audit log into sink in mode, exported on
// metrics and /readyz, logging into the returned buffer.
func failingAuditEnv(t *testing.T, sink io.Writer, mode AuditFailure, clk *clock) (*testEnv, *AuditLog, *Metrics, *bytes.Buffer) {
	t.Helper()
	env := newTestEnv(t, observePolicy)
	var logBuf bytes.Buffer
	audit := NewAuditLogWith(sink, AuditOptions{OnFailure: mode, Now: clk.now, LogInterval: time.Minute,
		Logger: slog.New(slog.NewJSONHandler(&syncWriter{w: &logBuf}, nil))})
	m := NewMetrics()
	m.Registry().MustRegister(audit.Collector())
	env.srv.opts.Observer = Observers{m, audit}
	env.srv.opts.ReadyDetail = map[string]func(context.Context) any{"audit": func(context.Context) any { return audit.Status() }}
	if audit.FailClosed() {
		env.srv.opts.CommitAudit = audit.Commit
	}
	return env, audit, m, &logBuf
}

// readyAudit is the audit member of /readyz.
func readyAudit(t *testing.T, env *testEnv) map[string]any {
	t.Helper()
	w := httptest.NewRecorder()
	env.srv.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	var body struct {
		Audit map[string]any `json:"audit"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Audit == nil {
		t.Fatalf("/readyz has no audit member (%v): %s", err, w.Body)
	}
	return body.Audit
}

func TestAuditOnAFullFilesystemIsCountedAndVisibleAndFollowsTheConfiguredMode(t *testing.T) {
	const query = "service=registry.test&scope=repository:alice/app:pull"
	cases := []struct {
		mode       AuditFailure
		wantStatus int
	}{
		{AuditContinue, http.StatusOK},
		{AuditFailClosed, http.StatusServiceUnavailable},
	}
	for _, tc := range cases {
		t.Run(string(tc.mode), func(t *testing.T) {
			clk := &clock{t: testNow}
			sink := &diskWriter{mode: "ok"}
			env, audit, m, logBuf := failingAuditEnv(t, sink, tc.mode, clk)
			if w := env.get(t, query, "alice", "alice-pw"); w.Code != http.StatusOK {
				t.Fatalf("before the disk fills: status %d: %s", w.Code, w.Body)
			}
			sink.set("full")
			for i := range 3 {
				w := env.get(t, query, "alice", "alice-pw")
				if w.Code != tc.wantStatus {
					t.Fatalf("request %d on a full disk: status %d, want %d: %s", i, w.Code, tc.wantStatus, w.Body)
				}
				if tc.wantStatus == http.StatusServiceUnavailable {
					if strings.Contains(w.Body.String(), `"token"`) || w.Header().Get("Retry-After") == "" {
						t.Errorf("a fail_closed 503 carries a token or no Retry-After: %v %s", w.Header(), w.Body)
					}
				}
			}
			// continue: 3 issued records lost; fail_closed: 3 issued records
			// and the 3 records of their 503s.
			wantLost := uint64(3)
			if audit.FailClosed() {
				wantLost = 6
			}
			st := audit.Status()
			if st.WriteFailures != wantLost || st.Writing || !strings.Contains(st.LastError, "no space") {
				t.Errorf("status = %+v, want %d failures, not writing, ENOSPC", st, wantLost)
			}
			got := scrape(t, m)
			if got["regbridge_audit_write_failures_total"] != strconv.FormatUint(wantLost, 10) || got["regbridge_audit_writing"] != "0" {
				t.Errorf("metrics: failures %q writing %q, want %d and 0", got["regbridge_audit_write_failures_total"],
					got["regbridge_audit_writing"], wantLost)
			}
			ra := readyAudit(t, env)
			if ra["writing"] != false || ra["write_failures_total"] != float64(wantLost) || ra["on_failure"] != string(tc.mode) {
				t.Errorf("/readyz audit = %v", ra)
			}
			if n := strings.Count(logBuf.String(), "audit records are not being written"); n != 1 {
				t.Errorf("%d failure lines within one interval, want 1:\n%s", n, logBuf)
			}
			clk.add(time.Minute)
			env.get(t, query, "alice", "alice-pw")
			if n := strings.Count(logBuf.String(), "audit records are not being written"); n != 2 {
				t.Errorf("%d failure lines after the interval, want 2:\n%s", n, logBuf)
			}

			sink.set("ok")
			if w := env.get(t, query, "alice", "alice-pw"); w.Code != http.StatusOK {
				t.Fatalf("after the disk has room again: status %d: %s", w.Code, w.Body)
			}
			if st := audit.Status(); !st.Writing || st.Written != 2 {
				t.Errorf("after recovery: status = %+v, want writing with 2 records written", st)
			}
			if !strings.Contains(logBuf.String(), "audit records are being written again") {
				t.Errorf("recovery was not logged:\n%s", logBuf)
			}
			lines := strings.Split(strings.TrimSuffix(sink.String(), "\n"), "\n")
			if len(lines) != 2 {
				t.Fatalf("sink holds %d lines, want the 2 written records:\n%s", len(lines), sink)
			}
			for _, l := range lines {
				if !json.Valid([]byte(l)) || !strings.Contains(l, `"outcome":"issued"`) {
					t.Errorf("sink line is not a whole issued record: %s", l)
				}
			}
		})
	}
}

func TestAuditToDevFullIsCountedAndFailClosedAnswers503(t *testing.T) {
	f, err := OpenAuditFile("/dev/full")
	if err != nil {
		t.Skipf("no /dev/full: %v", err)
	}
	defer f.Close()
	env, audit, _, _ := failingAuditEnv(t, f, AuditFailClosed, &clock{t: testNow})
	w := env.get(t, "service=registry.test&scope=repository:alice/app:pull", "alice", "alice-pw")
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503: %s", w.Code, w.Body)
	}
	if st := audit.Status(); st.WriteFailures != 2 || st.Writing {
		t.Errorf("status = %+v, want 2 failures (the issued record and the 503's)", st)
	}
}

func TestAShortWriteNeverLeavesHalfARecordInFrontOfTheNextOne(t *testing.T) {
	rec := func(id string) Event { return Event{RequestID: id, Outcome: OutcomeIssued, Status: 200} }
	t.Run("a sink that cannot take the fragment back", func(t *testing.T) {
		sink := &diskWriter{mode: "half"}
		a := NewAuditLog(sink)
		if err := a.Commit(rec("cut")); err == nil {
			t.Fatal("a short write reported no error")
		}
		sink.set("ok")
		a.Observe(rec("whole-1"))
		a.Observe(rec("whole-2"))
		lines := strings.Split(strings.TrimSuffix(sink.String(), "\n"), "\n")
		if len(lines) != 3 || json.Valid([]byte(lines[0])) {
			t.Fatalf("want the fragment alone on the first line, then two records:\n%s", sink)
		}
		for i, id := range []string{"whole-1", "whole-2"} {
			if !json.Valid([]byte(lines[i+1])) || !strings.Contains(lines[i+1], id) {
				t.Errorf("line %d is not the whole record %s: %s", i+1, id, lines[i+1])
			}
		}
	})
	t.Run("a sink that takes the fragment back", func(t *testing.T) {
		sink := &undoWriter{diskWriter{mode: "half"}}
		a := NewAuditLog(sink)
		a.Observe(rec("cut"))
		sink.set("ok")
		a.Observe(rec("whole"))
		out := sink.String()
		if strings.Count(out, "\n") != 1 || !json.Valid([]byte(strings.TrimSpace(out))) || !strings.Contains(out, "whole") {
			t.Fatalf("want exactly the one whole record:\n%q", out)
		}
	})
}

func TestAnAuditFileTakesBackAFragmentAndReopensAfterLogrotateMovedIt(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	f, err := OpenAuditFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a := NewAuditLog(f)
	a.Observe(Event{RequestID: "first"})
	if _, err := f.Write([]byte(`{"request_id":"cut`)); err != nil {
		t.Fatal(err)
	}
	if err := f.UndoPartial(len(`{"request_id":"cut`)); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	a.Observe(Event{RequestID: "second"})
	if err := f.Reopen(); err != nil {
		t.Fatal(err)
	}
	a.Observe(Event{RequestID: "third"})
	old, _ := os.ReadFile(path + ".1")
	cur, _ := os.ReadFile(path)
	if strings.Count(string(old), "\n") != 2 || !strings.Contains(string(old), "first") || !strings.Contains(string(old), "second") || strings.Contains(string(old), "cut") {
		t.Errorf("rotated file = %q, want the first two whole records", old)
	}
	if strings.Count(string(cur), "\n") != 1 || !strings.Contains(string(cur), "third") {
		t.Errorf("new file = %q, want only the third record", cur)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != auditFileMode {
		t.Errorf("new file mode: %v %v", fi.Mode(), err)
	}
}

func TestAuditFailureModeAcceptsOnlyContinueAndFailClosed(t *testing.T) {
	for _, m := range []AuditFailure{"", AuditContinue, AuditFailClosed} {
		if err := m.Validate(); err != nil {
			t.Errorf("%q: %v", m, err)
		}
	}
	for _, m := range []AuditFailure{"fail-closed", "closed", "ignore"} {
		if err := m.Validate(); err == nil {
			t.Errorf("%q was accepted", m)
		}
	}
}
