package bridge

import (
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// AuditFailure is what issuance does while audit records cannot be written.
type AuditFailure string

// Audit failure modes.
const (
	// AuditContinue issues tokens without their records; every lost record
	// is counted, logged (at most once per interval) and shown in /readyz.
	AuditContinue AuditFailure = "continue"
	// AuditFailClosed writes an issued token's record before the token
	// leaves and answers 503 instead when the write fails: no token is
	// issued without its record.
	AuditFailClosed AuditFailure = "fail_closed"
)

// Validate reports a mode that is neither continue nor fail_closed ("" is
// continue).
func (m AuditFailure) Validate() error {
	switch m {
	case "", AuditContinue, AuditFailClosed:
		return nil
	}
	return fmt.Errorf("%q is not continue or fail_closed", string(m))
}

// DefaultAuditLogInterval is the least time between two log lines about
// failing audit writes.
const DefaultAuditLogInterval = time.Minute

// AuditOptions configure an AuditLog.
type AuditOptions struct {
	// OnFailure is AuditContinue (default) or AuditFailClosed.
	OnFailure AuditFailure
	// Logger receives the failure lines (discarded when nil).
	Logger *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// LogInterval is the least time between two failure lines (default
	// DefaultAuditLogInterval); the failures in between are counted in the
	// next line.
	LogInterval time.Duration
}

// PartialUndoer is a sink that can take back the last n bytes it wrote, so
// a short write leaves no fragment of a record behind. AuditFile is one.
type PartialUndoer interface {
	UndoPartial(n int) error
}

// FailClosed reports whether issuance must wait for the record.
func (a *AuditLog) FailClosed() bool { return a.opts.OnFailure == AuditFailClosed }

// write hands one record to the sink in one Write call. When only part of
// it got through, the sink takes the part back if it can (a file is cut to
// its previous length); otherwise the next record starts on a new line, so
// the fragment stays a line of its own and never swallows a whole record.
func (a *AuditLog) write(rec []byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	p := rec
	if a.midLine {
		p = make([]byte, 0, len(rec)+1)
		p = append(append(p, '\n'), rec...)
	}
	n, err := a.w.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err == nil {
		a.midLine = false
		a.written.Add(1)
		a.recovered()
		return nil
	}
	if n > 0 {
		if u, ok := a.w.(PartialUndoer); !ok || u.UndoPartial(n) != nil {
			a.midLine = p[n-1] != '\n'
		}
	}
	a.failed(err)
	return fmt.Errorf("bridge: audit: write: %w", err)
}

// failed counts and, at most once per interval, logs a lost record.
// a.mu is held.
func (a *AuditLog) failed(err error) {
	now := a.opts.Now()
	a.failures.Add(1)
	a.failing, a.lastErr, a.lastFailure = true, err.Error(), now
	a.unlogged++
	if !a.lastLogged.IsZero() && now.Sub(a.lastLogged) < a.opts.LogInterval {
		return
	}
	a.opts.Logger.Error("audit records are not being written", "err", err, "on_failure", string(a.opts.OnFailure),
		"lost_since_last_line", a.unlogged, "write_failures_total", a.failures.Load())
	a.lastLogged, a.unlogged = now, 0
}

// recovered logs the first good write after failures. a.mu is held.
func (a *AuditLog) recovered() {
	if !a.failing {
		return
	}
	a.failing = false
	a.opts.Logger.Warn("audit records are being written again", "lost_since_last_line", a.unlogged,
		"write_failures_total", a.failures.Load())
	a.unlogged = 0
	a.lastLogged = time.Time{}
}

// AuditStatus is the audit member of /readyz.
type AuditStatus struct {
	OnFailure AuditFailure `json:"on_failure"`
	// Writing is false while the last write failed.
	Writing       bool       `json:"writing"`
	Written       uint64     `json:"records_written_total"`
	WriteFailures uint64     `json:"write_failures_total"`
	LastError     string     `json:"last_error,omitempty"`
	LastFailure   *time.Time `json:"last_failure,omitempty"`
}

// Status reports the sink's health and counters.
func (a *AuditLog) Status() AuditStatus {
	a.mu.Lock()
	defer a.mu.Unlock()
	st := AuditStatus{OnFailure: a.opts.OnFailure, Writing: !a.failing, Written: a.written.Load(),
		WriteFailures: a.failures.Load(), LastError: a.lastErr}
	if !a.lastFailure.IsZero() {
		t := a.lastFailure.UTC()
		st.LastFailure = &t
	}
	return st
}

var (
	descAuditFailures = prometheus.NewDesc("regbridge_audit_write_failures_total",
		"Audit records that could not be written (each is a decision without its record).", nil, nil)
	descAuditWritten = prometheus.NewDesc("regbridge_audit_records_written_total",
		"Audit records written.", nil, nil)
	descAuditWriting = prometheus.NewDesc("regbridge_audit_writing",
		"1 while audit records are written, 0 while the last write failed.", nil, nil)
)

// Collector exports the audit counters; register it on Metrics.Registry.
func (a *AuditLog) Collector() prometheus.Collector { return auditCollector{a} }

type auditCollector struct{ a *AuditLog }

func (c auditCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descAuditFailures
	ch <- descAuditWritten
	ch <- descAuditWriting
}

func (c auditCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.a.Status()
	writing := 0.0
	if st.Writing {
		writing = 1
	}
	ch <- prometheus.MustNewConstMetric(descAuditFailures, prometheus.CounterValue, float64(st.WriteFailures))
	ch <- prometheus.MustNewConstMetric(descAuditWritten, prometheus.CounterValue, float64(st.Written))
	ch <- prometheus.MustNewConstMetric(descAuditWriting, prometheus.GaugeValue, writing)
}
