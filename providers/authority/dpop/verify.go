package dpop

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// ReplayStore remembers single-use keys. providers.ReplayStore satisfies it.
type ReplayStore interface {
	// Remember records key until the given time and reports false when the
	// key was already recorded and has not expired.
	Remember(ctx context.Context, key string, until time.Time) (fresh bool, err error)
}

// Default freshness window of a proof's `iat`.
const (
	DefaultMaxAge    = 60 * time.Second
	DefaultMaxFuture = 5 * time.Second
)

// Verifier checks DPoP proofs against requests. Algorithms and Replay are
// required; a Verifier is safe for concurrent use.
type Verifier struct {
	// Algorithms is the proof `alg` allow-list (asymmetric only).
	Algorithms []jose.SignatureAlgorithm
	// MaxAge is how old a proof's `iat` may be (default 60 s).
	MaxAge time.Duration
	// MaxFuture is how far in the future a proof's `iat` may be (default 5 s).
	MaxFuture time.Duration
	// Replay remembers (thumbprint, htu, jti) for the freshness window.
	Replay ReplayStore
	// Nonces, when set, requires every proof to carry a valid server nonce.
	Nonces *Nonces
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Request is what a proof is checked against.
type Request struct {
	// Proofs are the values of every DPoP header field of the request.
	Proofs []string
	// Method is the request method (compared case-sensitively with `htm`).
	Method string
	// URL is the request URL built from the configured public URL and the
	// request path, without query.
	URL string
	// AccessToken is the token from `Authorization: DPoP`; empty at a token
	// endpoint, where `ath` is not checked.
	AccessToken string
	// JKT is the `cnf.jkt` the access token is bound to; empty when the
	// caller has no binding to check.
	JKT string
}

// Verify runs every check of RFC 9449 §4.3 (and §7.1 with an access token)
// and returns the verified proof. Errors are *Error.
func (v *Verifier) Verify(ctx context.Context, r Request) (*Proof, error) {
	if v.Replay == nil {
		return nil, invalid("verifier has no replay store", nil)
	}
	if e := singleProof(r.Proofs); e != nil {
		return nil, v.fail(e)
	}
	p, e := v.parse(r.Proofs[0])
	if e != nil {
		return nil, v.fail(e)
	}
	htu, e := matchRequest(p, r)
	if e != nil {
		return nil, v.fail(e)
	}
	if e := v.checkNonce(p); e != nil {
		return nil, v.fail(e)
	}
	if e := v.checkFresh(p); e != nil {
		return nil, v.fail(e)
	}
	if e := checkBinding(p, r); e != nil {
		return nil, v.fail(e)
	}
	// Step 10: replay, last, so a refused proof does not use up its jti.
	maxAge, maxFuture := v.windows()
	fresh, err := v.Replay.Remember(ctx, replayKey(p.Thumbprint, htu, p.JTI), p.IssuedAt.Add(maxAge+maxFuture+time.Second))
	if err != nil {
		return nil, err
	}
	if !fresh {
		return nil, v.fail(invalid("proof jti was already used", nil))
	}
	return p, nil
}

// singleProof is step 1: exactly one DPoP header field with exactly one
// compact proof.
func singleProof(proofs []string) *Error {
	switch {
	case len(proofs) == 0:
		return invalid("missing DPoP proof", nil)
	case len(proofs) > 1:
		return invalid("more than one DPoP header", nil)
	case strings.HasPrefix(strings.TrimSpace(proofs[0]), "{"):
		return invalid("JSON serialization refused: a proof must be compact", nil)
	case strings.Contains(proofs[0], ","):
		return invalid("more than one proof in the DPoP header", nil)
	}
	return nil
}

// parse is steps 2–5: structure, header, key, signature, typed claims.
func (v *Verifier) parse(proof string) (*Proof, *Error) {
	p, err := Parse(proof, v.Algorithms)
	if err != nil {
		var de *Error
		if errors.As(err, &de) {
			return nil, de
		}
		return nil, invalid("proof refused", err)
	}
	return p, nil
}

// matchRequest is steps 6 and 7: htm (case-sensitive) and htu (normalized)
// name the request. It returns the normalized request URL.
func matchRequest(p *Proof, r Request) (string, *Error) {
	if p.HTM != r.Method {
		return "", invalid("htm does not match the request method", nil)
	}
	want, err := NormalizeURL(r.URL)
	if err != nil {
		return "", invalid("request URL cannot be normalized", err)
	}
	got, err := NormalizeURL(p.HTU)
	if err != nil {
		return "", invalid("htu is not an acceptable URL", err)
	}
	if got != want {
		return "", invalid("htu does not match the request URL", nil)
	}
	return want, nil
}

// checkNonce is step 8: the server nonce, when the verifier issues them.
func (v *Verifier) checkNonce(p *Proof) *Error {
	if v.Nonces == nil {
		return nil
	}
	if p.Nonce == "" {
		return &Error{Code: CodeUseNonce, Description: "Resource server requires nonce in DPoP proof"}
	}
	if !v.Nonces.Valid(p.Nonce) {
		return &Error{Code: CodeUseNonce, Description: "DPoP nonce is invalid or expired"}
	}
	return nil
}

// checkFresh is step 9: iat within the freshness window.
func (v *Verifier) checkFresh(p *Proof) *Error {
	now := v.now()
	maxAge, maxFuture := v.windows()
	if p.IssuedAt.Before(now.Add(-maxAge)) {
		return invalid("proof iat is too old", nil)
	}
	if p.IssuedAt.After(now.Add(maxFuture)) {
		return invalid("proof iat is in the future", nil)
	}
	return nil
}

// checkBinding is step 11: the access-token hash, and the proof key against
// the token's cnf.jkt.
func checkBinding(p *Proof, r Request) *Error {
	if r.AccessToken != "" {
		sum := sha256.Sum256([]byte(r.AccessToken))
		ath := base64.RawURLEncoding.EncodeToString(sum[:])
		if p.ATH == "" {
			return invalid("proof has no ath for the access token", nil)
		}
		if subtle.ConstantTimeCompare([]byte(p.ATH), []byte(ath)) != 1 {
			return invalid("ath does not match the access token", nil)
		}
	}
	if r.JKT != "" && subtle.ConstantTimeCompare([]byte(p.Thumbprint), []byte(r.JKT)) != 1 {
		return invalid("proof key does not match the token's cnf.jkt", nil)
	}
	return nil
}

// replayKey hashes (thumbprint, htu, jti) into a fixed-length store key.
func replayKey(thumb, htu, jti string) string {
	h := sha256.New()
	for _, s := range []string{thumb, htu, jti} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return "dpop:" + hex.EncodeToString(h.Sum(nil))
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func (v *Verifier) windows() (time.Duration, time.Duration) {
	maxAge, maxFuture := v.MaxAge, v.MaxFuture
	if maxAge <= 0 {
		maxAge = DefaultMaxAge
	}
	if maxFuture <= 0 {
		maxFuture = DefaultMaxFuture
	}
	return maxAge, maxFuture
}

// fail attaches a fresh nonce to every refusal when nonces are on (§8.2).
func (v *Verifier) fail(e *Error) *Error {
	if v.Nonces != nil {
		e.Nonce = v.Nonces.Issue()
	}
	return e
}
