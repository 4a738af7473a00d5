package gitlab

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/internal/forgeapi"
	"github.com/regbridge/regbridge/providers/internal/strictjson"
)

// classify turns a GitLab answer other than 200 into an error of the right
// kind (shared/reference/forges.md §4.2, §4.6, §5.1):
//
//   - 429 (Rack::Attack's plain-text "Retry later") and 5xx → unavailable,
//     retry after Retry-After or RateLimit-Reset;
//   - 401 (unknown, expired or revoked token) → invalid credential;
//   - 403 → invalid credential: an account that may not use the API
//     ("403 Forbidden - Your account has been blocked." and the other
//     find_current_user! reasons) or a token without a needed scope
//     (insufficient_scope). GitLab's API rate limits answer 429 only, so a
//     403 is never read as one, whatever its RateLimit-Remaining says;
//   - anything else → unavailable (no definite answer).
//
// Callers handle the statuses that mean something for their endpoint (404,
// 400) before calling it.
func classify(op string, r *forgeapi.Response, now time.Time) error {
	switch {
	case r.Status == http.StatusTooManyRequests:
		return forgeapi.Unavailable(forgeapi.RetryAfter(r.Header, now), fmt.Errorf("gitlab: %s: rate limited (429)", op))
	case r.Status >= 500:
		return forgeapi.Unavailable(forgeapi.RetryAfter(r.Header, now), fmt.Errorf("gitlab: %s: status %d", op, r.Status))
	case r.Status == http.StatusUnauthorized:
		return fmt.Errorf("gitlab: %s: token refused (401%s): %w", op, ErrorReason(r.Body), providers.ErrInvalidCredential)
	case r.Status == http.StatusForbidden:
		return fmt.Errorf("gitlab: %s: forbidden (403%s): %w", op, ErrorReason(r.Body), providers.ErrInvalidCredential)
	}
	return forgeapi.Unavailable(0, fmt.Errorf("gitlab: %s: unexpected status %d", op, r.Status))
}

// ErrorReason reads a GitLab error body ({"message": "..."} from the API,
// {"error": "...", "error_description": "..."} from the token guard and
// Doorkeeper) and returns ": <reason>" fit for a log line, or "" when the
// body says nothing usable.
func ErrorReason(body []byte) string {
	m, err := strictjson.Object(body)
	if err != nil {
		return ""
	}
	var parts []string
	for _, k := range []string{"message", "error", "error_description", "scope"} {
		if s, ok := m[k].(string); ok && s != "" {
			parts = append(parts, k+"="+clean(s))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return ": " + strings.Join(parts, " ")
}
