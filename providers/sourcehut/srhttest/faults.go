package srhttest

import (
	"net/http"
	"strings"

	"github.com/regbridge/regbridge/providers/internal/fakeupstream"
)

// Fault makes the fake misbehave on /query the way an unavailable or
// misconfigured meta.sr.ht (or something in front of it) does. Faults apply
// before authentication, to every /query request, until cleared with
// SetFault(FaultNone).
type Fault int

const (
	// FaultNone answers normally.
	FaultNone Fault = iota
	// FaultSlow waits Options.SlowDelay (or until the client gives up)
	// before answering normally.
	FaultSlow
	// FaultBadGateway answers 502 with an HTML page.
	FaultBadGateway
	// FaultServiceUnavailable answers 503 with an HTML page and Retry-After: 7.
	FaultServiceUnavailable
	// FaultGatewayTimeout answers 504 with an HTML page.
	FaultGatewayTimeout
	// FaultInternal answers 500 with meta's "Temporary error" JSON body.
	FaultInternal
	// FaultTooManyRequests answers 429 with Retry-After: 9.
	FaultTooManyRequests
	// FaultHTML answers 200 with an HTML page (a login page or a proxy).
	FaultHTML
	// FaultEmpty answers 200 with an empty body.
	FaultEmpty
	// FaultTruncated answers 200 with a JSON body cut in the middle.
	FaultTruncated
	// FaultRedirect answers 302 to Options.RedirectTo (or another path).
	FaultRedirect
	// FaultReset hijacks the connection and closes it without a response
	// (what a panicking meta does).
	FaultReset
	// FaultOversized answers 200 with a valid version document padded to
	// 1 MiB.
	FaultOversized
	// FaultAPIMeta answers 200 with the unauthenticated
	// /query/api-meta.json document, as a misconfigured meta_url would.
	FaultAPIMeta
)

const htmlPage = "<!doctype html><html><head><title>Error</title></head><body><h1>Something went wrong</h1></body></html>\n"

// serveFault writes the response for f and reports whether it did; false
// means the request should be handled normally (FaultNone, FaultSlow after its
// delay).
func (s *Server) serveFault(w http.ResponseWriter, r *http.Request, f Fault) bool {
	switch f {
	case FaultNone:
		return false
	case FaultSlow:
		if fakeupstream.Wait(r, s.opts.SlowDelay, s.closing) {
			return false
		}
	case FaultBadGateway:
		writeHTML(w, http.StatusBadGateway)
	case FaultServiceUnavailable:
		w.Header().Set("Retry-After", "7")
		writeHTML(w, http.StatusServiceUnavailable)
	case FaultGatewayTimeout:
		writeHTML(w, http.StatusGatewayTimeout)
	case FaultInternal:
		authError(w, "Temporary error; try again later", http.StatusInternalServerError)
	case FaultTooManyRequests:
		w.Header().Set("Retry-After", "9")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte("rate limited\n"))
	case FaultHTML:
		writeHTML(w, http.StatusOK)
	case FaultEmpty:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
	case FaultTruncated:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"data":{"version":{"major":0,"mi`))
	case FaultRedirect:
		to := s.opts.RedirectTo
		if to == "" {
			to = "/login"
		}
		http.Redirect(w, r, to, http.StatusFound)
	case FaultReset:
		fakeupstream.Reset(w)
	case FaultOversized:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"data":{"version":{"major":0,"minor":0,"patch":0}},"pad":"` + strings.Repeat("x", 1<<20) + `"}`))
	case FaultAPIMeta:
		serveAPIMeta(w)
	default:
		return false
	}
	return true
}

func writeHTML(w http.ResponseWriter, status int) { fakeupstream.HTML(w, status, htmlPage) }

func serveAPIMeta(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"scopes":["AUDIT_LOG","BILLING","PGP_KEYS","SSH_KEYS","PROFILE"]}`))
}
