package gltest

import (
	"net/http"

	"github.com/regbridge/regbridge/providers/internal/fakeupstream"
)

// Fault makes the fake misbehave the way an unavailable GitLab (or the
// proxy in front of it) does. Faults apply before authentication and rate
// limiting, to every request, until SetFault(FaultNone).
type Fault int

const (
	// FaultNone answers normally.
	FaultNone Fault = iota
	// FaultSlow waits Options.SlowDelay (or until the client gives up)
	// before answering normally.
	FaultSlow
	// FaultInternal answers 500 {"message":"500 Internal Server Error"}.
	FaultInternal
	// FaultBadGateway answers 502 with an HTML page (nginx in front of a
	// stopped Puma).
	FaultBadGateway
	// FaultServiceUnavailable answers 503 with an HTML page and
	// Retry-After: 7.
	FaultServiceUnavailable
	// FaultGatewayTimeout answers 504 with an HTML page.
	FaultGatewayTimeout
	// FaultReset closes the connection without a response.
	FaultReset
	// FaultBareTooManyRequests answers 429 "Retry later" without any
	// RateLimit-* or Retry-After header (seen on GitLab.com,
	// gitlab-org/gitlab#365728).
	FaultBareTooManyRequests
	// FaultHTML answers 200 with an HTML sign-in page (a proxy or SSO
	// gateway in front of the API).
	FaultHTML
)

const htmlPage = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Whoops, GitLab is taking too much time to respond.</h1></body></html>\n"

// serveFault writes the response for f and reports whether it did.
func (s *Server) serveFault(w http.ResponseWriter, r *http.Request, f Fault) bool {
	switch f {
	case FaultNone:
		return false
	case FaultSlow:
		if fakeupstream.Wait(r, s.opts.SlowDelay, s.closing) {
			return false
		}
	case FaultInternal:
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "500 Internal Server Error"})
	case FaultBadGateway:
		writeHTML(w, http.StatusBadGateway)
	case FaultServiceUnavailable:
		w.Header().Set("Retry-After", "7")
		writeHTML(w, http.StatusServiceUnavailable)
	case FaultGatewayTimeout:
		writeHTML(w, http.StatusGatewayTimeout)
	case FaultReset:
		fakeupstream.Reset(w)
	case FaultBareTooManyRequests:
		writeRetryLater(w)
	case FaultHTML:
		writeHTML(w, http.StatusOK)
	default:
		return false
	}
	return true
}

func writeHTML(w http.ResponseWriter, status int) { fakeupstream.HTML(w, status, htmlPage) }

// writeRetryLater is Rack::Attack's throttled response as GitLab
// configures it: 429, text/plain, "Retry later".
func writeRetryLater(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusTooManyRequests)
	_, _ = w.Write([]byte("Retry later\n"))
}
