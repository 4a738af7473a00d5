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
	// Step 1: exactly one DPoP header field with exactly one proof.
	if len(r.Proofs) == 0 {
		return nil, v.fail(invalid("missing DPoP proof", nil))
	}
	if len(r.Proofs) > 1 {
		return nil, v.fail(invalid("more than one DPoP header", nil))
	}
	if strings.HasPrefix(strings.TrimSpace(r.Proofs[0]), "{") {
		return nil, v.fail(invalid("JSON serialization refused: a proof must be compact", nil))
	}
	if strings.Contains(r.Proofs[0], ",") {
		return nil, v.fail(invalid("more than one proof in the DPoP header", nil))
	}
	// Steps 2–5: structure, header, key, signature, typed claims.
	p, err := Parse(r.Proofs[0], v.Algorithms)
	if err != nil {
		var de *Error
		if errors.As(err, &de) {
			return nil, v.fail(de)
		}
		return nil, v.fail(invalid("proof refused", err))
	}
	// Step 6: htm, case-sensitive.
	if p.HTM != r.Method {
		return nil, v.fail(invalid("htm does not match the request method", nil))
	}
	// Step 7: htu, normalized.
	want, err := NormalizeURL(r.URL)
	if err != nil {
		return nil, v.fail(invalid("request URL cannot be normalized", err))
	}
	got, err := NormalizeURL(p.HTU)
	if err != nil {
		return nil, v.fail(invalid("htu is not an acceptable URL", err))
	}
	if got != want {
		return nil, v.fail(invalid("htu does not match the request URL", nil))
	}
	// Step 8: server nonce.
	if v.Nonces != nil {
		if p.Nonce == "" {
			return nil, v.fail(&Error{Code: CodeUseNonce, Description: "Resource server requires nonce in DPoP proof"})
		}
		if !v.Nonces.Valid(p.Nonce) {
			return nil, v.fail(&Error{Code: CodeUseNonce, Description: "DPoP nonce is invalid or expired"})
		}
	}
	// Step 9: freshness.
	now := v.now()
	maxAge, maxFuture := v.windows()
	if p.IssuedAt.Before(now.Add(-maxAge)) {
		return nil, v.fail(invalid("proof iat is too old", nil))
	}
	if p.IssuedAt.After(now.Add(maxFuture)) {
		return nil, v.fail(invalid("proof iat is in the future", nil))
	}
	// Step 11: access-token hash and key binding.
	if r.AccessToken != "" {
		sum := sha256.Sum256([]byte(r.AccessToken))
		ath := base64.RawURLEncoding.EncodeToString(sum[:])
		if p.ATH == "" {
			return nil, v.fail(invalid("proof has no ath for the access token", nil))
		}
		if subtle.ConstantTimeCompare([]byte(p.ATH), []byte(ath)) != 1 {
			return nil, v.fail(invalid("ath does not match the access token", nil))
		}
	}
	if r.JKT != "" && subtle.ConstantTimeCompare([]byte(p.Thumbprint), []byte(r.JKT)) != 1 {
		return nil, v.fail(invalid("proof key does not match the token's cnf.jkt", nil))
	}
	// Step 10: replay, last, so a refused proof does not use up its jti.
	key := replayKey(p.Thumbprint, want, p.JTI)
	fresh, err := v.Replay.Remember(ctx, key, p.IssuedAt.Add(maxAge+maxFuture+time.Second))
	if err != nil {
		return nil, err
	}
	if !fresh {
		return nil, v.fail(invalid("proof jti was already used", nil))
	}
	return p, nil
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
