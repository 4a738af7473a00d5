package sourcehut

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/upstream"
)

// versionQuery needs no grant: any token meta accepts may run it (`me`
// needs meta.sr.ht/PROFILE, which builds tokens lack).
const versionQuery = `{"query":"{ version { major minor patch } }"}`

// maxMetaBody caps what is read of meta's answer.
const maxMetaBody = 64 << 10

// Retry hints for the bridge's Retry-After.
const (
	defaultRetryAfter = 5 * time.Second
	maxRetryAfter     = time.Minute
)

// errRejected marks a definite refusal by meta.sr.ht.
var errRejected = errors.New("meta.sr.ht refused the token")

// verify asks meta.sr.ht whether token is valid, sending it byte for byte.
// It returns nil only for 200 with a JSON body that has no "errors" and a
// numeric data.version.major; an error wrapping providers.ErrInvalidCredential
// for meta's own 400/401/403 error documents; and an *UnavailableError for
// everything else (transport errors, timeouts, redirects, 5xx, 429, other
// statuses, HTML, empty or truncated bodies).
func (p *Provider) verify(ctx context.Context, token string) error {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.queryURL, strings.NewReader(versionQuery))
	if err != nil {
		return unavailable(0, fmt.Errorf("sourcehut: meta: build request: %w", err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "regbridge")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := p.client.Do(req)
	if err != nil {
		return unavailable(0, fmt.Errorf("sourcehut: meta: %w", err))
	}
	defer resp.Body.Close()
	body, err := upstream.ReadBody(resp.Body, maxMetaBody)
	if err != nil {
		return unavailable(0, fmt.Errorf("sourcehut: meta: status %d: %w", resp.StatusCode, err))
	}
	switch resp.StatusCode {
	case http.StatusOK:
		if err := checkVersionAnswer(body); err != nil {
			return unavailable(0, fmt.Errorf("sourcehut: meta: status 200: %w", err))
		}
		return nil
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden:
		msg, ok := errorMessage(body)
		if !ok {
			return unavailable(0, fmt.Errorf("sourcehut: meta: status %d without a GraphQL error document", resp.StatusCode))
		}
		return fmt.Errorf("sourcehut: meta: status %d %q: %w: %w", resp.StatusCode, msg, errRejected, providers.ErrInvalidCredential)
	default:
		return unavailable(retryAfter(resp.Header.Get("Retry-After")), fmt.Errorf("sourcehut: meta: status %d", resp.StatusCode))
	}
}

// checkVersionAnswer accepts {"data":{"version":{"major":<number>,…}}}
// without an "errors" member.
func checkVersionAnswer(body []byte) error {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil {
		return fmt.Errorf("body is not a JSON object: %w", err)
	}
	if _, ok := doc["errors"]; ok {
		msg, _ := errorMessage(body)
		return fmt.Errorf("GraphQL errors: %q", msg)
	}
	var ans struct {
		Data *struct {
			Version *struct {
				Major *float64 `json:"major"`
			} `json:"version"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &ans); err != nil {
		return fmt.Errorf("unexpected answer shape: %w", err)
	}
	if ans.Data == nil || ans.Data.Version == nil || ans.Data.Version.Major == nil {
		return errors.New("no data.version.major in the answer")
	}
	return nil
}

// errorMessage returns the first GraphQL error message of body, cleaned for
// logs, and whether body is a JSON error document at all.
func errorMessage(body []byte) (string, bool) {
	var doc struct {
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || len(doc.Errors) == 0 {
		return "", false
	}
	return clean(doc.Errors[0].Message, 200), true
}

// clean drops control characters and caps s at n runes.
func clean(s string, n int) string {
	var b strings.Builder
	for _, r := range s {
		if n == 0 {
			b.WriteString("…")
			break
		}
		if unicode.IsControl(r) {
			r = ' '
		}
		b.WriteRune(r)
		n--
	}
	return b.String()
}

// retryAfter parses a delay-seconds Retry-After, bounded to 1s..1m; 0 means
// use the default.
func retryAfter(v string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n <= 0 {
		return 0
	}
	return min(time.Duration(n)*time.Second, maxRetryAfter)
}

func unavailable(after time.Duration, err error) error {
	if after <= 0 {
		after = defaultRetryAfter
	}
	return &providers.UnavailableError{RetryAfter: after, Err: err}
}
