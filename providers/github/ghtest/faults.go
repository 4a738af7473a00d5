package ghtest

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/regbridge/regbridge/providers/internal/fakeupstream"
)

// Fault makes the fake misbehave the way an unavailable GitHub, or one
// that limits the caller, does. A fault applies before authentication,
// until cleared with FaultNone.
type Fault int

const (
	// FaultNone answers normally.
	FaultNone Fault = iota
	// FaultSlow waits Options.SlowDelay (or until the client gives up),
	// then answers normally.
	FaultSlow
	// FaultInternal answers 500 {"message":"Server Error"}.
	FaultInternal
	// FaultBadGateway answers 502 with an HTML page.
	FaultBadGateway
	// FaultServiceUnavailable answers 503 with an HTML page and
	// Retry-After: 7.
	FaultServiceUnavailable
	// FaultGatewayTimeout answers 504 with an HTML page.
	FaultGatewayTimeout
	// FaultReset closes the connection without an answer.
	FaultReset
	// FaultTruncated answers 200 with JSON cut in the middle.
	FaultTruncated
	// FaultOversized answers 200 with a JSON document of 2 MiB.
	FaultOversized
	// FaultSecondaryLimit answers GitHub's secondary rate limit (forges.md
	// §3.6): 403, retry-after (Options.SecondaryRetryAfter), x-ratelimit
	// headers with requests remaining, and the secondary-limit document.
	FaultSecondaryLimit
	// FaultSecondaryLimitNoRetryAfter is the secondary limit without a
	// retry-after header ("wait at least one minute").
	FaultSecondaryLimitNoRetryAfter
	// FaultSecondaryLimit429 is the secondary limit as 429 with retry-after.
	FaultSecondaryLimit429
)

// SetFault makes every following request misbehave as f.
func (s *Server) SetFault(f Fault) { s.SetFaultFor("", f) }

// SetFaultFor makes requests to one endpoint (an Endpoint constant)
// misbehave as f; "" means every endpoint without a fault of its own.
func (s *Server) SetFaultFor(endpoint string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f == FaultNone {
		delete(s.faults, endpoint)
		return
	}
	s.faults[endpoint] = f
}

const htmlPage = "<!DOCTYPE html><html><head><title>Unicorn! · GitHub</title></head><body><p>No server is currently available to service your request.</p></body></html>\n"

const secondaryDoc = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"

func (s *Server) serveFault(w http.ResponseWriter, r *http.Request, f Fault) bool {
	switch f {
	case FaultNone:
		return false
	case FaultSlow:
		if fakeupstream.Wait(r, s.opts.SlowDelay, s.closing) {
			return false
		}
	case FaultInternal:
		writeJSON(w, http.StatusInternalServerError, map[string]any{"message": "Server Error"})
	case FaultBadGateway:
		writeHTML(w, http.StatusBadGateway)
	case FaultServiceUnavailable:
		w.Header().Set("Retry-After", "7")
		writeHTML(w, http.StatusServiceUnavailable)
	case FaultGatewayTimeout:
		writeHTML(w, http.StatusGatewayTimeout)
	case FaultReset:
		fakeupstream.Reset(w)
	case FaultTruncated:
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write([]byte(`{"login":"octocat","id":1,"ty`))
	case FaultOversized:
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write([]byte(`{"login":"octocat","id":1,"bio":"` + strings.Repeat("x", 2<<20) + `"}`))
	case FaultSecondaryLimit, FaultSecondaryLimitNoRetryAfter, FaultSecondaryLimit429:
		status := http.StatusForbidden
		if f == FaultSecondaryLimit429 {
			status = http.StatusTooManyRequests
		}
		if f != FaultSecondaryLimitNoRetryAfter {
			w.Header().Set("Retry-After", strconv.Itoa(int(s.opts.SecondaryRetryAfter/time.Second)))
		}
		h := w.Header()
		h.Set("X-Ratelimit-Limit", "5000")
		h.Set("X-Ratelimit-Remaining", "4990")
		h.Set("X-Ratelimit-Used", "10")
		h.Set("X-Ratelimit-Reset", strconv.FormatInt(s.opts.Now().Add(time.Hour).Unix(), 10))
		h.Set("X-Ratelimit-Resource", "core")
		writeError(w, status, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.", secondaryDoc)
	default:
		return false
	}
	return true
}

func writeHTML(w http.ResponseWriter, status int) { fakeupstream.HTML(w, status, htmlPage) }
