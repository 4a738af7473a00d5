package bridge

import (
	"net/http"
	"strconv"
)

// ReasonAuditUnavailable is the reason of a 503 answered because the audit
// record of an issued token could not be written (audit_failure:
// fail_closed).
const ReasonAuditUnavailable = "audit_unavailable"

// auditRetryAfter is the Retry-After of that 503, in seconds.
const auditRetryAfter = 5

// commitAudit writes the record of an issued token before the token leaves,
// when the deployment fails closed. When the record cannot be written it
// answers 503 instead, records that outcome (which the sink may fail to
// write as well) and reports false.
func (s *Server) commitAudit(w http.ResponseWriter, ev *Event) bool {
	if s.opts.CommitAudit == nil {
		return true
	}
	ev.Latency = s.opts.Now().Sub(ev.Time)
	if err := s.opts.CommitAudit(*ev); err == nil {
		ev.audited = true
		return true
	}
	he := httpError{status: http.StatusServiceUnavailable, code: "UNAVAILABLE", oauth: "temporarily_unavailable",
		message: "the audit log cannot be written, and this server issues no token without its record; try again shortly",
		header:  map[string]string{"Retry-After": strconv.Itoa(auditRetryAfter)}, reason: ReasonAuditUnavailable}
	ev.Outcome, ev.Status, ev.Reason, ev.Granted = OutcomeError, he.status, he.reason, nil
	writeHTTPError(w, he, ev.RequestID)
	s.observe(ev)
	return false
}
