package gitea

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

// refusal is what a non-2xx Gitea answer means.
type refusal int

const (
	// refusedUnexpected is an answer this package does not recognise.
	refusedUnexpected refusal = iota
	// refusedToken: 401, the token is unknown, revoked or expired.
	refusedToken
	// refusedAccount: 403 for a prohibited, inactive or must-change-password
	// account, on every API call of that user.
	refusedAccount
	// refusedScope: 403 because the token lacks a scope the route needs.
	refusedScope
	// refusedPublicOnly: 403 for a public-only token on a private endpoint.
	refusedPublicOnly
	// refusedNotFound: 404, missing or invisible.
	refusedNotFound
	// refusedTransient: 429, 5xx or a rate-limit 403: try again later.
	refusedTransient
	// refusedForbidden: any other 403, a definite refusal.
	refusedForbidden
)

// apiError is Gitea's error body: {"message": "...", "url": "..."}.
type apiError struct {
	Message string `json:"message"`
}

// Answer is a classified forge answer: its refusal kind and, for a
// missing-scope 403, the token's scope list when Gitea printed it.
type Answer struct {
	kind    refusal
	message string
	// Scopes is the token's normalised scope list from a missing-scope 403
	// ("token scope=a,b"); nil when the answer did not carry one (Forgejo).
	Scopes []string
}

// scopeMarker precedes the token's scopes in Gitea's missing-scope 403.
const scopeMarker = "token scope="

// ParseRefusal classifies a non-2xx answer by its status and message. It is
// pure and total: any body is accepted; one that is not Gitea's error JSON
// has no message.
func ParseRefusal(status int, header http.Header, body []byte) Answer {
	var e apiError
	if strictjson.Unmarshal(body, &e) != nil {
		e.Message = ""
	}
	a := Answer{kind: refusedUnexpected, message: clean(e.Message, 200)}
	r := &forgeapi.Response{Status: status, Header: header}
	switch {
	case status == http.StatusUnauthorized:
		a.kind = refusedToken
	case status == http.StatusNotFound:
		a.kind = refusedNotFound
	case status == http.StatusTooManyRequests || status >= 500 || forgeapi.RateLimited(r):
		a.kind = refusedTransient
	case status == http.StatusForbidden:
		a.kind, a.Scopes = classify403(e.Message)
	}
	return a
}

func classify403(msg string) (refusal, []string) {
	switch {
	case strings.HasPrefix(msg, "This account is prohibited from signing in"),
		strings.HasPrefix(msg, "This account is not activated"),
		strings.HasPrefix(msg, "You must change your password"):
		return refusedAccount, nil
	case msg == "this endpoint is not available for public-only tokens":
		return refusedPublicOnly, nil
	case strings.HasPrefix(msg, "token does not have at least one of required scope(s)"):
		_, list, ok := strings.Cut(msg, scopeMarker)
		if !ok {
			return refusedScope, nil
		}
		scopes, ok := parseScopeList(list)
		if !ok {
			return refusedScope, nil
		}
		return refusedScope, scopes
	}
	return refusedForbidden, nil
}

// parseScopeList reads Gitea's normalised scope list ("read:user,write:package",
// "all", "public-only,read:user"). Every element must be a scope name
// Gitea defines; anything else makes the whole list unknown.
func parseScopeList(s string) ([]string, bool) {
	if s == "" {
		return []string{}, true
	}
	parts := strings.Split(s, ",")
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		if !knownScope(p) {
			return nil, false
		}
		out = append(out, p)
	}
	return out, true
}

// scopeCategories are Gitea's token scope categories.
var scopeCategories = []string{"activitypub", "admin", "misc", "notification", "organization", "package", "issue", "repository", "user"}

func knownScope(s string) bool {
	if s == "all" || s == "public-only" {
		return true
	}
	level, cat, ok := strings.Cut(s, ":")
	if !ok || level != "read" && level != "write" {
		return false
	}
	for _, c := range scopeCategories {
		if cat == c {
			return true
		}
	}
	return false
}

// err turns a refusal into an error of the right kind for op.
func (a Answer) err(op string, status int, header http.Header, now time.Time) error {
	detail := fmt.Sprintf("gitea: %s: status %d", op, status)
	if a.message != "" {
		detail += fmt.Sprintf(" %q", a.message)
	}
	switch a.kind {
	case refusedToken:
		return fmt.Errorf("%s: %w: %w", detail, errUnknownToken, providers.ErrInvalidCredential)
	case refusedAccount, refusedPublicOnly, refusedScope, refusedForbidden:
		return fmt.Errorf("%s: %w", detail, providers.ErrInvalidCredential)
	case refusedTransient:
		return forgeapi.Unavailable(forgeapi.RetryAfter(header, now), fmt.Errorf("%s: %w", detail, providers.ErrUnavailable))
	}
	return forgeapi.Unavailable(forgeapi.RetryAfter(header, now), fmt.Errorf("%s (unexpected): %w", detail, providers.ErrUnavailable))
}

// clean makes forge text safe to put in an error: printable ASCII only,
// at most n bytes.
func clean(s string, n int) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < n; i++ {
		if c := s[i]; c >= 0x20 && c < 0x7f {
			b.WriteByte(c)
		} else {
			b.WriteByte('?')
		}
	}
	return b.String()
}

// errUnknownToken marks a 401: the forge knows no such token (the one case
// in which allow_passwords tries the secret as the account password).
var errUnknownToken = errors.New("the forge does not know the token")
