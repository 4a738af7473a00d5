package bridge

import (
	"errors"
	"net/http"
	"strconv"
	"time"
)

// Reasons of requests refused by abuse control.
const (
	// ReasonRateLimited is a request over one of the rate limits (429).
	ReasonRateLimited = "rate_limited"
	// ReasonOverloaded is a provider call refused because too many were in
	// flight and queued (503).
	ReasonOverloaded = "overloaded"
	// ReasonLimitStateUnavailable is a request refused because the shared
	// rate-limit store failed and the limit fails closed (503).
	ReasonLimitStateUnavailable = "rate_limit_state_unavailable"
)

// OutcomeLimited is the outcome of a request refused by abuse control.
const OutcomeLimited Outcome = "limited"

// Limit names, the limit label of regbridge_rate_limited_total.
const (
	limitPerAddress          = "per_address"
	limitFailuresPerUser     = "failures_per_user"
	limitFailuresPerProvider = "failures_per_provider"
	limitPerIdentity         = "per_identity"
)

// RateLimitedError is a request over a rate limit.
type RateLimitedError struct {
	// Limit names the limit (per_address, failures_per_user, …).
	Limit      string
	RetryAfter time.Duration
}

func (e *RateLimitedError) Error() string {
	return "bridge: rate limit " + e.Limit + " exceeded; retry after " + e.RetryAfter.String()
}

// overloadError is a provider call refused by the concurrency bound.
type overloadError struct{ provider string }

func (e *overloadError) Error() string {
	return "bridge: provider " + e.provider + ": too many calls in flight and queued"
}

// limitStateError is a shared store failure under on_state_error: closed.
type limitStateError struct{ err error }

func (e *limitStateError) Error() string { return "bridge: rate limit store: " + e.err.Error() }
func (e *limitStateError) Unwrap() error { return e.err }

// overloadRetryAfter is the Retry-After of 503 answers of abuse control.
const overloadRetryAfter = time.Second

// limitHTTPError is the response to an abuse-control refusal; ok is false
// for every other error.
func limitHTTPError(err error) (httpError, bool) {
	var rl *RateLimitedError
	var ol *overloadError
	var se *limitStateError
	switch {
	case errors.As(err, &rl):
		return httpError{status: http.StatusTooManyRequests, code: "TOOMANYREQUESTS", oauth: "temporarily_unavailable",
			message: "too many requests; try again later",
			header:  retryAfterHeader(rl.RetryAfter), reason: ReasonRateLimited}, true
	case errors.As(err, &ol):
		return httpError{status: http.StatusServiceUnavailable, code: "UNAVAILABLE", oauth: "temporarily_unavailable",
			message: "the server is busy; try again shortly",
			header:  retryAfterHeader(overloadRetryAfter), reason: ReasonOverloaded}, true
	case errors.As(err, &se):
		return httpError{status: http.StatusServiceUnavailable, code: "UNAVAILABLE", oauth: "temporarily_unavailable",
			message: "the server cannot check its rate limits; try again shortly",
			header:  retryAfterHeader(overloadRetryAfter), reason: ReasonLimitStateUnavailable}, true
	}
	return httpError{}, false
}

// retryAfterHeader is Retry-After in whole seconds, rounded up, at least 1.
func retryAfterHeader(d time.Duration) map[string]string {
	secs := max(int((d+time.Second-1)/time.Second), 1)
	return map[string]string{"Retry-After": strconv.Itoa(secs)}
}

// limitedOutcome reports whether reason is an abuse-control refusal.
func limitedOutcome(reason string) bool {
	switch reason {
	case ReasonRateLimited, ReasonOverloaded, ReasonLimitStateUnavailable:
		return true
	}
	return false
}
