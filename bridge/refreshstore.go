package bridge

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// RefreshStore is the state refresh tokens need: the last use of each token
// (the idle timeout) and operator revocations. Refresh tokens never rotate
// (docker keeps the first one it gets), so the idle timeout cannot be
// carried by the token itself. Backed by Redis it is shared by every
// replica; in memory it is one replica's own.
type RefreshStore interface {
	// StartRefresh records token id as used now; the record lives for idle
	// and never past until.
	StartRefresh(ctx context.Context, id string, idle time.Duration, until time.Time) error
	// TouchRefresh reports whether token id was used within the last idle
	// and, when it was, records this use.
	TouchRefresh(ctx context.Context, id string, idle time.Duration, until time.Time) (alive bool, err error)
	// RevokeRefresh refuses every refresh token matching key that was issued
	// at or before at; the record lives until until.
	RevokeRefresh(ctx context.Context, key string, at, until time.Time) error
	// RefreshRevokedAt returns the latest revocation time of keys, zero when
	// none of them is revoked.
	RefreshRevokedAt(ctx context.Context, keys []string) (time.Time, error)
}

// JobClaims are the claims that name one CI run or job, by which an
// operator may revoke the refresh tokens of that run or job (GitHub
// `run_id`, GitLab `job_id` and `pipeline_id`, Buildkite `job_id`).
var JobClaims = []string{"run_id", "job_id", "pipeline_id"}

// Revocation names what an operator revokes: every refresh token of one
// subject, of one CI run or job, or one token by its id.
type Revocation struct {
	Provider string
	Subject  string
	// Claim and Value name a CI run or job; Claim is one of JobClaims.
	Claim, Value string
	// TokenID is a refresh token's id (the audit log's refresh_id).
	TokenID string
}

// Key is the store key of r, or an error when r names nothing or too much.
func (r Revocation) Key() (string, error) {
	n := 0
	for _, v := range []string{r.Subject, r.Value, r.TokenID} {
		if v != "" {
			n++
		}
	}
	switch {
	case n != 1:
		return "", fmt.Errorf("%w: name exactly one of subject, a job claim, or a token id", errBadRevocation)
	case r.TokenID != "":
		return revokeIDKey(r.TokenID), nil
	case r.Provider == "":
		return "", fmt.Errorf("%w: provider is required", errBadRevocation)
	case r.Subject != "":
		return revokeSubjectKey(r.Provider, r.Subject), nil
	}
	for _, c := range JobClaims {
		if c == r.Claim {
			return revokeJobKey(r.Provider, r.Claim, r.Value), nil
		}
	}
	return "", fmt.Errorf("%w: claim %q is not one of %s", errBadRevocation, r.Claim, strings.Join(JobClaims, ", "))
}

var errBadRevocation = fmt.Errorf("bridge: revocation")

func revokeIDKey(id string) string { return "refresh-revoked\x00id\x00" + id }

func revokeSubjectKey(provider, subject string) string {
	return "refresh-revoked\x00sub\x00" + provider + "\x00" + subject
}

func revokeJobKey(provider, claim, value string) string {
	return "refresh-revoked\x00job\x00" + provider + "\x00" + claim + "\x00" + value
}

// revocationKeys are the keys whose revocation refuses c: its id, its
// subject, and each job claim the captured identity carries.
func revocationKeys(c *RefreshClaims) []string {
	keys := []string{revokeIDKey(c.ID), revokeSubjectKey(c.Provider, c.Subject)}
	if c.Identity != nil {
		for _, name := range JobClaims {
			if v, ok := c.Identity.Claims[name]; ok {
				keys = append(keys, revokeJobKey(c.Provider, name, fmt.Sprint(v)))
			}
		}
	}
	return keys
}
