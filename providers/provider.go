package providers

import (
	"context"
	"errors"
	"time"
)

// Provider checks one kind of credential.
//
// Authenticate MUST NOT fall back to another upstream, MUST NOT log the
// secret, and MUST return an error wrapping ErrInvalidCredential for a
// definite rejection and ErrUnavailable when the upstream could not give a
// definite answer (timeouts, 5xx, malformed upstream replies). Only definite
// rejections are cached by the bridge.
type Provider interface {
	Authenticate(ctx context.Context, cred Credential) (Identity, error)
}

// Router is implemented by providers that claim credentials. The bridge reads
// Route once when it wires the providers together.
type Router interface {
	Route() Route
}

// Route says which credentials a provider claims.
type Route struct {
	// Issuers are exact `iss` values of compact-JWS credentials (ID tokens,
	// JWT access tokens). A JWS whose unverified `iss` matches no declared
	// issuer is refused without network I/O.
	Issuers []string
	// Usernames are Basic usernames under which an opaque (non-JWS) password
	// is sent to this provider. "*" claims every username that no provider
	// lists explicitly; at most one provider may claim "*".
	Usernames []string
	// Users reports whether username is a local account of this provider
	// (static htpasswd users and robots). Local accounts are matched before
	// Usernames. A Basic username that no provider claims (no local account,
	// no listed username, no "*") goes to the first provider with Users,
	// which MUST refuse it at the cost of a real password check, so that
	// unknown and known names cannot be told apart by timing.
	Users func(username string) bool
	// Schemes lists the Authorization header schemes this provider accepts
	// directly on /token besides Basic ("Bearer", "DPoP"). A header credential
	// is routed by the unverified `iss` of its token, or, for opaque tokens, to
	// the single provider that declares the scheme with OpaqueTokens.
	Schemes []string
	// OpaqueTokens marks a provider that accepts opaque (non-JWS) tokens in an
	// Authorization header or a token exchange (RFC 7662 introspection).
	OpaqueTokens bool
}

// BindingChecker is implemented by providers whose identities are bound to a
// key or certificate of the client (DPoP, mTLS). The bridge calls CheckBinding
// on every request, including those whose Identity came from the cache, and
// refuses the request when it returns an error.
type BindingChecker interface {
	CheckBinding(ctx context.Context, cred Credential, id Identity) error
}

// Sentinel errors. Adapters wrap them with %w and a short "pkg: op:" prefix;
// only the bridge turns them into HTTP statuses.
var (
	// ErrInvalidCredential: the credential was checked and refused (401).
	ErrInvalidCredential = errors.New("invalid credential")
	// ErrUnavailable: no definite answer could be had from the upstream (503).
	ErrUnavailable = errors.New("upstream unavailable")
	// ErrBadRequest: the request around the credential is malformed (400).
	ErrBadRequest = errors.New("malformed request")
)

// UnavailableError carries a retry hint for ErrUnavailable.
type UnavailableError struct {
	RetryAfter time.Duration
	Err        error
}

func (e *UnavailableError) Error() string { return e.Err.Error() }

// Unwrap returns ErrUnavailable and the cause, so errors.Is works for both.
func (e *UnavailableError) Unwrap() []error { return []error{ErrUnavailable, e.Err} }

// ChallengeError carries an extra WWW-Authenticate challenge for a rejection
// (for example a DPoP error with a fresh nonce). Err must wrap a sentinel.
type ChallengeError struct {
	// Scheme is the challenge scheme ("DPoP", "Bearer").
	Scheme string
	// Params are challenge parameters in order, as name/value pairs.
	Params [][2]string
	// Header holds extra response headers (for example "DPoP-Nonce").
	Header map[string]string
	// Status, when non-zero, is the HTTP status the challenge calls for
	// (403 for insufficient_scope, RFC 6750 §3.1; 400 for a DPoP proof
	// refused at a token endpoint, RFC 9449 §5). Zero leaves the status to
	// the error kind.
	Status int
	Err    error
}

func (e *ChallengeError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *ChallengeError) Unwrap() error { return e.Err }

// CacheKeyer is implemented by providers whose credentials have several
// encodings of one value. CacheKey returns the canonical key material for
// cred (the bridge hashes it together with the provider id); ok is false when
// the credential cannot be canonicalised, in which case the raw secret is
// used.
type CacheKeyer interface {
	CacheKey(cred Credential) (key string, ok bool)
}

// CacheTTLer is implemented by providers that bound how long the bridge may
// reuse their positive answers (for example an introspection cache TTL that
// sets the revocation latency). The bridge uses min(its cache TTL,
// CacheTTL(), identity expiry − now); zero means no bound of its own.
type CacheTTLer interface {
	CacheTTL() time.Duration
}
