package bridge

import (
	"encoding/json"
	"io"
	"sync"
	"time"
)

// AuditLog writes one JSON line per token decision. It is separate from the
// operational log and never carries a secret: the credential appears only as
// a short hash prefix.
type AuditLog struct {
	mu sync.Mutex
	w  io.Writer
}

// NewAuditLog writes to w.
func NewAuditLog(w io.Writer) *AuditLog { return &AuditLog{w: w} }

// auditLine is the documented audit record.
type auditLine struct {
	Time           string   `json:"time"`
	RequestID      string   `json:"request_id"`
	ClientAddr     string   `json:"client_addr"`
	Endpoint       string   `json:"endpoint"`
	Service        string   `json:"service"`
	Provider       string   `json:"provider"`
	Subject        string   `json:"subject"`
	Requested      []string `json:"requested"`
	Granted        []string `json:"granted"`
	Rules          []string `json:"rules"`
	Outcome        Outcome  `json:"outcome"`
	Status         int      `json:"status"`
	Reason         string   `json:"reason,omitempty"`
	CredentialHash string   `json:"credential_hash,omitempty"`
	CacheHit       bool     `json:"cache_hit"`
	LatencyMS      float64  `json:"latency_ms"`
}

// Observe implements Observer.
func (a *AuditLog) Observe(e Event) {
	line := auditLine{
		Time: e.Time.UTC().Format(time.RFC3339Nano), RequestID: e.RequestID, ClientAddr: e.ClientAddr,
		Endpoint: e.Endpoint, Service: e.Service, Provider: e.Provider, Subject: e.Subject,
		Requested: scopeStrings(e.Requested), Granted: scopeStrings(e.Granted), Rules: e.Rules,
		Outcome: e.Outcome, Status: e.Status, Reason: e.Reason, CredentialHash: e.CredentialHash,
		CacheHit: e.CacheHit, LatencyMS: float64(e.Latency.Microseconds()) / 1000,
	}
	if line.Rules == nil {
		line.Rules = []string{}
	}
	b, err := json.Marshal(line)
	if err != nil {
		return
	}
	b = append(b, '\n')
	a.mu.Lock()
	a.w.Write(b)
	a.mu.Unlock()
}
