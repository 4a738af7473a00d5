package github

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/internal/forgeapi"
	"github.com/regbridge/regbridge/providers/internal/strictjson"
)

// secondaryWait is how long to wait after a secondary rate limit that
// gives no retry-after and leaves the primary limit unexhausted: "wait at
// least one minute" (forges.md §3.6).
const secondaryWait = time.Minute

// refusal classifies an answer other than 200 (forges.md §5.1): a rate
// limit (429, or 403 with x-ratelimit-remaining: 0, a retry-after, or a
// secondary-limit document) or a 5xx is unavailable with a retry hint; 401
// is an invalid credential; any other 403 is the forge refusing the
// credential; everything else is unavailable.
func (p *Provider) refusal(op string, r *forgeapi.Response) error {
	msg := message(r.Body)
	if wait, ok := rateLimit(r, p.now()); ok {
		return forgeapi.Unavailable(wait, fmt.Errorf("%s: status %d, rate limited %q", op, r.Status, msg))
	}
	switch {
	case r.Status == http.StatusUnauthorized:
		return fmt.Errorf("%s: status 401 %q: %w", op, msg, providers.ErrInvalidCredential)
	case r.Status == http.StatusForbidden:
		return fmt.Errorf("%s: status 403 %q: %w", op, msg, providers.ErrInvalidCredential)
	case r.Status >= 500:
		return forgeapi.Unavailable(forgeapi.RetryAfter(r.Header, p.now()), fmt.Errorf("%s: status %d", op, r.Status))
	}
	return forgeapi.Unavailable(forgeapi.DefaultRetryAfter, fmt.Errorf("%s: unexpected status %d %q", op, r.Status, msg))
}

// rateLimit reports whether r is one of GitHub's rate-limit answers and how
// long to wait (forges.md §3.6, go-github's CheckResponse): primary when
// x-ratelimit-remaining is 0 (until x-ratelimit-reset, or retry-after);
// secondary with retry-after (that long), or by its documentation_url or
// message (a minute); any other 429 (the default hint).
func rateLimit(r *forgeapi.Response, now time.Time) (time.Duration, bool) {
	if r.Status != http.StatusForbidden && r.Status != http.StatusTooManyRequests {
		return 0, false
	}
	h := r.Header
	if strings.TrimSpace(h.Get("X-RateLimit-Remaining")) == "0" || h.Get("Retry-After") != "" {
		return forgeapi.RetryAfter(h, now), true
	}
	if secondary(r.Body) {
		return secondaryWait, true
	}
	if r.Status == http.StatusTooManyRequests {
		return forgeapi.RetryAfter(h, now), true
	}
	return 0, false
}

// secondary reports whether body is GitHub's secondary-limit document: its
// documentation_url ends in "secondary-rate-limits" or "#abuse-rate-limits"
// (go-github's test), or its message names a secondary rate limit.
func secondary(body []byte) bool {
	obj, err := strictjson.Object(body)
	if err != nil {
		return false
	}
	doc, _ := obj["documentation_url"].(string)
	msg, _ := obj["message"].(string)
	return strings.HasSuffix(doc, "secondary-rate-limits") || strings.HasSuffix(doc, "#abuse-rate-limits") ||
		strings.Contains(strings.ToLower(msg), "secondary rate limit")
}

// message returns the "message" of a GitHub error document, clipped, or "".
func message(body []byte) string {
	obj, err := strictjson.Object(body)
	if err != nil {
		return ""
	}
	m, _ := obj["message"].(string)
	return clip(m)
}

// withHint gives an unavailable error from forgeapi's transport layer
// (connection refused, timeout, reset, redirect, oversized body), which
// carries no retry hint, the default one.
func withHint(err error) error {
	var ue *providers.UnavailableError
	if errors.As(err, &ue) && ue.RetryAfter <= 0 {
		ue.RetryAfter = forgeapi.DefaultRetryAfter
	}
	return err
}
