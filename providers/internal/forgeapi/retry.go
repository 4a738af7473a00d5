package forgeapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Retry-hint bounds.
const (
	// DefaultRetryAfter is the hint when a forge gave none.
	DefaultRetryAfter = 5 * time.Second
	// MaxRetryAfter caps any hint a forge gives.
	MaxRetryAfter = 5 * time.Minute
)

// RetryAfter reads a forge's retry hint: Retry-After in seconds, or the
// reset time of X-RateLimit-Reset / RateLimit-Reset (Unix seconds, or
// seconds from now when small). It returns DefaultRetryAfter when there is
// none and never more than MaxRetryAfter.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	if s := strings.TrimSpace(h.Get("Retry-After")); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 {
			return clampRetry(time.Duration(n) * time.Second)
		}
		if t, err := http.ParseTime(s); err == nil {
			return clampRetry(t.Sub(now))
		}
	}
	for _, k := range []string{"X-RateLimit-Reset", "RateLimit-Reset"} {
		s := strings.TrimSpace(h.Get(k))
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			continue
		}
		if n > 1_000_000_000 { // an epoch timestamp
			return clampRetry(time.Unix(n, 0).Sub(now))
		}
		return clampRetry(time.Duration(n) * time.Second)
	}
	return DefaultRetryAfter
}

func clampRetry(d time.Duration) time.Duration {
	switch {
	case d < time.Second:
		return time.Second
	case d > MaxRetryAfter:
		return MaxRetryAfter
	}
	// Round up: a client told to retry early only meets the limit again.
	return (d + time.Second - 1).Truncate(time.Second)
}

// RateLimited reports whether an answer is a rate-limit refusal: 429, or a
// 403 with X-RateLimit-Remaining: 0 (GitHub's primary limit), or a 403 with
// Retry-After (GitHub's secondary limit).
func RateLimited(r *Response) bool {
	switch r.Status {
	case http.StatusTooManyRequests:
		return true
	case http.StatusForbidden:
		if strings.TrimSpace(r.Header.Get("X-RateLimit-Remaining")) == "0" || strings.TrimSpace(r.Header.Get("RateLimit-Remaining")) == "0" {
			return true
		}
		return r.Header.Get("Retry-After") != ""
	}
	return false
}
