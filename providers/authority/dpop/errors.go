package dpop

import "fmt"

// Error codes of RFC 9449 §7.1 and §9.
const (
	CodeInvalidProof = "invalid_dpop_proof"
	CodeUseNonce     = "use_dpop_nonce"
)

// Error is a refused proof. Description is safe to show to the client.
type Error struct {
	// Code is CodeInvalidProof or CodeUseNonce.
	Code string
	// Description is a short human-readable reason.
	Description string
	// Nonce is a fresh server nonce to send as DPoP-Nonce, when the
	// verifier issues nonces.
	Nonce string
	// Err is the underlying cause, if any (not for clients).
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("dpop: %s: %s: %v", e.Code, e.Description, e.Err)
	}
	return fmt.Sprintf("dpop: %s: %s", e.Code, e.Description)
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

func invalid(desc string, err error) *Error {
	return &Error{Code: CodeInvalidProof, Description: desc, Err: err}
}
