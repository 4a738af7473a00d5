package gltest

import (
	"net/http"
	"strconv"
	"time"
)

// ratePeriod is the throttle period; GitLab's settings are per period in
// seconds and the headers report per-minute figures for 60 s periods.
const ratePeriod = 60

type window struct {
	start int64 // Unix seconds, a multiple of ratePeriod
	count int
}

// throttle applies the authenticated API throttle (Rack::Attack, fixed
// windows aligned to the epoch) to key. Every answer carries RateLimit-Name,
// -Limit, -Observed, -Remaining and -Reset; a request over the limit gets
// 429 "Retry later" with RateLimit-ResetTime and Retry-After as well
// (doc/administration/settings/user_and_ip_rate_limits.md). It reports
// whether the request was refused. s.mu is held.
func (s *Server) throttle(w http.ResponseWriter, key string, authenticated bool) bool {
	if s.rateLimit <= 0 {
		return false
	}
	now := s.opts.Now()
	start := now.Unix() - now.Unix()%ratePeriod
	win := s.windows[key]
	if win == nil || win.start != start {
		win = &window{start: start}
		s.windows[key] = win
	}
	win.count++
	reset := start + ratePeriod
	name := "throttle_authenticated_api"
	if !authenticated {
		name = "throttle_unauthenticated_api"
	}
	h := w.Header()
	h.Set("RateLimit-Name", name)
	h.Set("RateLimit-Limit", strconv.Itoa(s.rateLimit))
	h.Set("RateLimit-Observed", strconv.Itoa(win.count))
	h.Set("RateLimit-Remaining", strconv.Itoa(max(0, s.rateLimit-win.count)))
	h.Set("RateLimit-Reset", strconv.FormatInt(reset, 10))
	if win.count <= s.rateLimit {
		return false
	}
	h.Set("RateLimit-ResetTime", time.Unix(reset, 0).UTC().Format(http.TimeFormat))
	h.Set("Retry-After", strconv.FormatInt(max(1, reset-now.Unix()), 10))
	writeRetryLater(w)
	return true
}
