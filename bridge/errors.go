package bridge

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/regbridge/regbridge/providers"
)

// errorBody serves both client families: registry-style `errors` for the
// docker stack and RFC 6749/6750 `error` fields for OAuth clients.
type errorBody struct {
	Details          string      `json:"details"`
	Errors           []errorItem `json:"errors"`
	Error            string      `json:"error"`
	ErrorDescription string      `json:"error_description"`
	RequestID        string      `json:"request_id,omitempty"`
}

type errorItem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// httpError is the response an error becomes.
type httpError struct {
	status  int
	code    string // registry error code
	oauth   string // OAuth error code
	message string
	header  map[string]string
	reason  string // short machine reason for metrics and audit
}

// Refusal reasons that only the audit log shows: the metrics and the client
// see both as ReasonInvalidCredential, so neither tells a name that is not
// an account from an account with a wrong password.
const (
	// ReasonInvalidCredential is a refused credential.
	ReasonInvalidCredential = "invalid_credential"
	// ReasonNoProvider is a credential no provider claims.
	ReasonNoProvider = "no_provider"
	// ReasonUnknownAccount is a name that is not a local account.
	ReasonUnknownAccount = "unknown_account"
)

// PublicReason is the reason metrics show for an audit reason: the
// refusals that would tell which names exist are all invalid_credential.
func PublicReason(reason string) string {
	switch reason {
	case ReasonNoProvider, ReasonUnknownAccount:
		return ReasonInvalidCredential
	}
	return reason
}

// defaultRetryAfter is sent with a 503 when the provider gave no hint.
const defaultRetryAfter = 5 * time.Second

// forbiddenError is a deny rule answering 403 with its reason.
type forbiddenError struct{ rule, reason string }

func (e *forbiddenError) Error() string { return "forbidden by rule " + e.rule + ": " + e.reason }

// reasonForbidden is the event reason of a 403 from a deny rule.
const reasonForbidden = "forbidden"

// outcome is the event outcome of a refusal answered with he.
func (he httpError) outcome() Outcome {
	switch {
	case he.reason == reasonForbidden:
		return OutcomeForbidden
	case limitedOutcome(he.reason):
		return OutcomeLimited
	case he.status >= 500:
		return OutcomeError
	}
	return OutcomeRejected
}

// classify maps an error to its response. Only bridge turns error kinds into
// HTTP; provider error text goes to the log, not to the client, except for
// malformed-request errors that describe the client's own input.
func classify(err error, realm string) httpError {
	var fe *forbiddenError
	if errors.As(err, &fe) {
		return httpError{status: http.StatusForbidden, code: "DENIED", oauth: "insufficient_scope", message: fe.reason, reason: reasonForbidden}
	}
	if he, ok := limitHTTPError(err); ok {
		return he
	}
	var rfe *refreshError
	if errors.As(err, &rfe) {
		return rfe.httpError(realm)
	}
	var re *RequestError
	if errors.As(err, &re) {
		return httpError{status: re.Status, code: registryCode(re.Status), oauth: re.OAuth, message: re.Message, reason: "bad_request"}
	}
	var ch *providers.ChallengeError
	hasChallenge := errors.As(err, &ch)
	switch {
	case errors.Is(err, providers.ErrUnavailable):
		retry := defaultRetryAfter
		var ue *providers.UnavailableError
		if errors.As(err, &ue) && ue.RetryAfter > 0 {
			retry = ue.RetryAfter
		}
		secs := int((retry + time.Second - 1) / time.Second)
		return httpError{status: http.StatusServiceUnavailable, code: "UNAVAILABLE", oauth: "temporarily_unavailable",
			message: "the identity provider could not be reached; try again shortly",
			header:  map[string]string{"Retry-After": strconv.Itoa(secs)}, reason: "upstream_unavailable"}
	case errors.Is(err, providers.ErrBadRequest):
		he := httpError{status: http.StatusBadRequest, code: "BAD_REQUEST", oauth: "invalid_request", message: err.Error(), reason: "bad_request"}
		if hasChallenge {
			he.applyChallenge(ch)
		}
		return he
	case errors.Is(err, providers.ErrInvalidCredential):
		he := httpError{status: http.StatusUnauthorized, code: "UNAUTHORIZED", oauth: "invalid_grant",
			message: "authentication failed: the credential was refused; check that it is current and meant for this registry",
			header:  map[string]string{"WWW-Authenticate": `Basic realm="` + realm + `"`}, reason: ReasonInvalidCredential}
		switch {
		case errors.Is(err, ErrNoRoute):
			he.reason = ReasonNoProvider
		case errors.Is(err, providers.ErrUnknownAccount):
			he.reason = ReasonUnknownAccount
		}
		if hasChallenge {
			he.applyChallenge(ch)
		}
		return he
	}
	return httpError{status: http.StatusInternalServerError, code: "UNKNOWN", oauth: "server_error",
		message: "internal error", reason: "internal"}
}

// applyChallenge answers with the provider's challenge: its
// WWW-Authenticate and extra headers, its status when it names one, and its
// RFC 6750/9449 error code and description in the body.
func (he *httpError) applyChallenge(ch *providers.ChallengeError) {
	he.header = challengeHeaders(ch)
	if ch.Status != 0 {
		he.status = ch.Status
		he.code = registryCode(ch.Status)
	}
	for _, p := range ch.Params {
		switch p[0] {
		case "error":
			he.oauth = p[1]
			he.reason = p[1]
		case "error_description":
			he.message = p[1]
		}
	}
}

func challengeHeaders(ch *providers.ChallengeError) map[string]string {
	h := map[string]string{}
	for k, v := range ch.Header {
		h[k] = v
	}
	var b strings.Builder
	b.WriteString(ch.Scheme)
	for i, p := range ch.Params {
		if i == 0 {
			b.WriteByte(' ')
		} else {
			b.WriteString(", ")
		}
		b.WriteString(p[0])
		b.WriteString(`="`)
		b.WriteString(strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(p[1]))
		b.WriteByte('"')
	}
	h["WWW-Authenticate"] = b.String()
	return h
}

func registryCode(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "UNAUTHORIZED"
	case http.StatusForbidden:
		return "DENIED"
	case http.StatusRequestEntityTooLarge:
		return "SIZE_INVALID"
	}
	return "BAD_REQUEST"
}

func writeHTTPError(w http.ResponseWriter, he httpError, requestID string) {
	for k, v := range he.header {
		w.Header().Set(k, v)
	}
	// docker, crane and oras print errors[].message (and details): the
	// request id there is what a person can quote to the operator, whose
	// log has the same id.
	shown := he.message
	if requestID != "" {
		shown += " (request id " + requestID + ")"
	}
	writeJSON(w, he.status, errorBody{
		Details:          shown,
		Errors:           []errorItem{{Code: he.code, Message: shown}},
		Error:            he.oauth,
		ErrorDescription: he.message,
		RequestID:        requestID,
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error":"server_error"}`)
	}
	writeBody(w, status, body)
}
