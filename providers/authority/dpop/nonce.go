package dpop

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"time"
)

// Nonces issues and checks stateless server nonces (RFC 9449 §8, §9): the
// issue time and an HMAC over it, base64url-encoded. Replicas that share the
// key accept each other's nonces.
type Nonces struct {
	key []byte
	ttl time.Duration
	now func() time.Time
}

// MinNonceKeyLength is the shortest accepted nonce key.
const MinNonceKeyLength = 32

// NewNonces returns a nonce source. A nonce is valid for ttl after issue.
func NewNonces(key []byte, ttl time.Duration, now func() time.Time) (*Nonces, error) {
	if len(key) < MinNonceKeyLength {
		return nil, errors.New("dpop: nonce key shorter than 32 bytes")
	}
	if ttl <= 0 {
		return nil, errors.New("dpop: nonce ttl must be positive")
	}
	if now == nil {
		now = time.Now
	}
	return &Nonces{key: append([]byte(nil), key...), ttl: ttl, now: now}, nil
}

const nonceMACLen = 16

// Issue returns a fresh nonce (NQCHAR-safe: base64url characters only).
func (n *Nonces) Issue() string {
	var b [8 + nonceMACLen]byte
	binary.BigEndian.PutUint64(b[:8], uint64(n.now().Unix()))
	copy(b[8:], n.mac(b[:8]))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Valid reports whether nonce was issued with this key and has not expired.
func (n *Nonces) Valid(nonce string) bool {
	b, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil || len(b) != 8+nonceMACLen {
		return false
	}
	if !hmac.Equal(b[8:], n.mac(b[:8])) {
		return false
	}
	issued := time.Unix(int64(binary.BigEndian.Uint64(b[:8])), 0)
	now := n.now()
	return !issued.After(now.Add(time.Second)) && now.Sub(issued) <= n.ttl
}

func (n *Nonces) mac(ts []byte) []byte {
	m := hmac.New(sha256.New, n.key)
	m.Write([]byte("regbridge dpop nonce v1\x00"))
	m.Write(ts)
	return m.Sum(nil)[:nonceMACLen]
}
