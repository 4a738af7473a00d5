// Package fakeupstream holds what the upstream fakes (srhttest, ghtest,
// gltest) share: a settable clock, a request log for counting upstream
// calls, and the ways they misbehave on purpose (answer late, drop the
// connection, answer with the HTML page of a proxy in front of a stopped
// server).
package fakeupstream

import (
	"net/http"
	"time"
)

// Wait holds a request for d. It returns true when d passed, and false when
// the client gave up or the fake is closing first.
func Wait(r *http.Request, d time.Duration, closing <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
	case <-closing:
	}
	return false
}

// Reset closes the connection without an answer.
func Reset(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// HTML answers status with an HTML page.
func HTML(w http.ResponseWriter, status int, page string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(page))
}
