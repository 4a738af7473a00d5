package bridge

import (
	"time"

	"github.com/regbridge/regbridge/acl"
)

// Outcome of a token request.
type Outcome string

// Outcomes.
const (
	OutcomeIssued    Outcome = "issued"
	OutcomeRejected  Outcome = "rejected"
	OutcomeForbidden Outcome = "forbidden"
	OutcomeError     Outcome = "error"
)

// Event describes one token decision, for metrics and the audit log. It
// never carries a secret: CredentialHash is a keyed hash of the credential
// (see CredentialHash).
type Event struct {
	Time           time.Time
	RequestID      string
	ClientAddr     string
	Endpoint       string
	Service        string
	Provider       string
	Subject        string
	Requested      []acl.Scope
	Granted        []acl.Scope
	Rules          []string
	Outcome        Outcome
	Status         int
	Reason         string
	CredentialHash string
	CacheHit       bool
	// Anonymous marks a request that carried no credential.
	Anonymous bool
	// Reused marks a token handed out again by token_reuse.
	Reused bool
	// Refresh is what the request did with a refresh token; RefreshID is
	// that token's id (never the token).
	Refresh   RefreshOutcome
	RefreshID string
	// Dropped lists grants the policy dropped because a placeholder value
	// was refused ("rule-id: reason").
	Dropped []string
	// Upstream is the time spent waiting for the provider on a credential
	// cache miss; UpstreamOutcome is empty when no provider was asked.
	Upstream        time.Duration
	UpstreamOutcome string
	Latency         time.Duration

	// credKey is the full credential cache key, for token reuse; it stays
	// inside the bridge.
	credKey [32]byte
	// audited: the record was written before the response (fail_closed),
	// so the audit log does not write it again.
	audited bool
}

// Observer receives an Event after every token request. Observe MUST NOT
// block for long; it runs on the request path.
type Observer interface {
	Observe(Event)
}

// Observers fans an event out to several observers.
type Observers []Observer

// Observe implements Observer.
func (o Observers) Observe(e Event) {
	for _, x := range o {
		x.Observe(e)
	}
}
