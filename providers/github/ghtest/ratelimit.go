package ghtest

import (
	"net/http"
	"strconv"
	"time"
)

// bucket is one primary rate-limit window (forges.md §3.6): limit requests
// per hour, counted from the first request of the window; reset is the
// window's end in Unix seconds.
type bucket struct {
	limit int
	used  int
	reset time.Time
}

// unauthenticatedLimit is GitHub's primary limit per IP without a token.
const unauthenticatedLimit = 60

// take counts one request against the bucket of key and writes the
// x-ratelimit-* headers every answer carries. It reports false when the
// limit was already reached. Called with s.mu held.
func (s *Server) take(w http.ResponseWriter, key string, limit int) bool {
	if limit <= 0 {
		return true
	}
	now := s.opts.Now()
	b := s.buckets[key]
	if b == nil || !now.Before(b.reset) {
		b = &bucket{limit: limit, reset: now.Add(time.Hour).Truncate(time.Second)}
		s.buckets[key] = b
	}
	ok := b.used < b.limit
	if ok {
		b.used++
	}
	h := w.Header()
	h.Set("X-Ratelimit-Limit", strconv.Itoa(b.limit))
	h.Set("X-Ratelimit-Remaining", strconv.Itoa(b.limit-b.used))
	h.Set("X-Ratelimit-Used", strconv.Itoa(b.used))
	h.Set("X-Ratelimit-Reset", strconv.FormatInt(b.reset.Unix(), 10))
	h.Set("X-Ratelimit-Resource", "core")
	return ok
}

// ExhaustRateLimit uses up the primary limit of login's current window:
// the next requests get the primary-limit answer until the window resets
// (an hour after the window's first request, on the fake's clock).
func (s *Server) ExhaustRateLimit(login string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := userBucket(s.mustUser(login).ID)
	limit := s.opts.RateLimit
	if limit <= 0 {
		limit = 5000
		s.opts.RateLimit = limit
	}
	now := s.opts.Now()
	b := s.buckets[k]
	if b == nil || !now.Before(b.reset) {
		b = &bucket{limit: limit, reset: now.Add(time.Hour).Truncate(time.Second)}
		s.buckets[k] = b
	}
	b.used = b.limit
}

// RateLimitReset returns when login's current window resets, or the zero
// time when it has none.
func (s *Server) RateLimitReset(login string) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.buckets[userBucket(s.mustUser(login).ID)]; b != nil {
		return b.reset
	}
	return time.Time{}
}

func userBucket(id int64) string { return "user:" + strconv.FormatInt(id, 10) }

// writeLimit answers the primary limit: 403 or 429 (Options.LimitStatus)
// with x-ratelimit-remaining: 0 already set by take, and GitHub's message.
func (s *Server) writeLimit(w http.ResponseWriter, msg string) {
	writeError(w, s.opts.LimitStatus, msg, "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api")
}
