package bridge

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// AuditLog writes one JSON line per token decision. It is separate from the
// operational log and never carries a secret: the credential appears only as
// its credential_hash (CredentialHash), and the issued token never appears
// at all.
//
// The fields of a line (docs/observability.md) are: time, request_id,
// client_addr, endpoint, service, provider, anonymous, subject, requested,
// granted, rules, dropped, outcome, status, reason, credential_hash,
// cache_hit, reused, refresh, refresh_id, upstream_ms and latency_ms.
//
// Every record is one Write call on the sink. A write that fails is counted
// (AuditStatus, the regbridge_audit_write_failures_total metric) and logged
// at most once per AuditOptions.LogInterval; see AuditOptions.OnFailure for
// what issuance does meanwhile.
type AuditLog struct {
	opts AuditOptions
	// failures and written count records since start.
	failures, written atomic.Uint64

	mu sync.Mutex
	w  io.Writer
	// midLine: a short write left part of a record at the end of the sink
	// and the sink could not take it back, so the next record starts with a
	// newline of its own.
	midLine bool
	// failing: the last write failed.
	failing     bool
	lastErr     string
	lastFailure time.Time
	// lastLogged is when a failure was last logged; unlogged counts the
	// failures since then.
	lastLogged time.Time
	unlogged   uint64
}

// NewAuditLog writes to w with the default options: issuance continues when
// a record cannot be written, and nothing is logged about it. Writes are
// serialised, so w need not be safe for concurrent use.
func NewAuditLog(w io.Writer) *AuditLog { return NewAuditLogWith(w, AuditOptions{}) }

// NewAuditLogWith writes to w as opts say.
func NewAuditLogWith(w io.Writer, opts AuditOptions) *AuditLog {
	if opts.OnFailure == "" {
		opts.OnFailure = AuditContinue
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.LogInterval <= 0 {
		opts.LogInterval = DefaultAuditLogInterval
	}
	return &AuditLog{w: w, opts: opts}
}

// AuditLine is the documented audit record. Slices are never null, so every
// line carries every field.
type AuditLine struct {
	Time           string   `json:"time"`
	RequestID      string   `json:"request_id"`
	ClientAddr     string   `json:"client_addr"`
	Endpoint       string   `json:"endpoint"`
	Service        string   `json:"service"`
	Provider       string   `json:"provider"`
	Anonymous      bool     `json:"anonymous"`
	Subject        string   `json:"subject"`
	Requested      []string `json:"requested"`
	Granted        []string `json:"granted"`
	Rules          []string `json:"rules"`
	Dropped        []string `json:"dropped"`
	Outcome        Outcome  `json:"outcome"`
	Status         int      `json:"status"`
	Reason         string   `json:"reason"`
	CredentialHash string   `json:"credential_hash"`
	CacheHit       bool     `json:"cache_hit"`
	Reused         bool     `json:"reused"`
	Refresh        string   `json:"refresh"`
	RefreshID      string   `json:"refresh_id"`
	UpstreamMS     float64  `json:"upstream_ms"`
	LatencyMS      float64  `json:"latency_ms"`
}

// credentialHashBytes is how much of the HMAC an event shows: 64 bits tell
// one credential's requests from another's; without the key they say
// nothing about the credential.
const credentialHashBytes = 8

// CredentialHash is the credential_hash of a credential cache key: the
// first 8 bytes (16 hex digits) of HMAC-SHA256(key, cache key). Without the
// key nobody can test a guessed password against it; with it, only the
// holder of the key can.
func CredentialHash(key []byte, cacheKey [32]byte) string {
	return newCredentialHasher(key).hash(cacheKey)
}

// credentialHasher computes CredentialHash with one key, reusing HMAC
// states (with the key schedule already done) across requests.
type credentialHasher struct{ pool sync.Pool }

// hmacState is one pooled HMAC with room for its sum, so that a hash
// allocates only the string it returns.
type hmacState struct {
	mac hash.Hash
	key [32]byte
	sum [sha256.Size]byte
}

func newCredentialHasher(key []byte) *credentialHasher {
	k := slices.Clone(key)
	return &credentialHasher{pool: sync.Pool{New: func() any { return &hmacState{mac: hmac.New(sha256.New, k)} }}}
}

func (c *credentialHasher) hash(cacheKey [32]byte) string {
	st := c.pool.Get().(*hmacState)
	st.mac.Reset()
	st.key = cacheKey // written from the pooled state, so cacheKey stays on the stack
	st.mac.Write(st.key[:])
	st.mac.Sum(st.sum[:0])
	var out [2 * credentialHashBytes]byte
	hex.Encode(out[:], st.sum[:credentialHashBytes])
	c.pool.Put(st)
	return string(out[:])
}

// NewAuditLine renders e as an audit record.
func NewAuditLine(e Event) AuditLine {
	return AuditLine{
		Time: e.Time.UTC().Format(time.RFC3339Nano), RequestID: e.RequestID, ClientAddr: e.ClientAddr,
		Endpoint: e.Endpoint, Service: e.Service, Provider: e.Provider, Anonymous: e.Anonymous, Subject: e.Subject,
		Requested: scopeStrings(e.Requested), Granted: scopeStrings(e.Granted), Rules: nonNil(e.Rules),
		Dropped: nonNil(e.Dropped), Outcome: e.Outcome, Status: e.Status, Reason: e.Reason,
		CredentialHash: e.CredentialHash, CacheHit: e.CacheHit, Reused: e.Reused,
		Refresh: string(e.Refresh), RefreshID: e.RefreshID,
		UpstreamMS: millis(e.Upstream), LatencyMS: millis(e.Latency),
	}
}

// Observe implements Observer. A record that Commit already wrote is not
// written again.
func (a *AuditLog) Observe(e Event) {
	if e.audited {
		return
	}
	a.record(e)
}

// Commit writes e's record and reports whether it was kept. The server
// calls it before an issued token leaves when OnFailure is AuditFailClosed.
func (a *AuditLog) Commit(e Event) error { return a.record(e) }

// record renders e as one line and writes it.
func (a *AuditLog) record(e Event) error {
	b, err := json.Marshal(NewAuditLine(e))
	if err != nil {
		// Every field is a string, number, bool or string slice.
		return fmt.Errorf("bridge: audit: %w", err)
	}
	return a.write(append(b, '\n'))
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
