package srhttest

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// TestPrivateKey is the public test key of core-go's auth/bearer_test.go: the
// base64 Ed25519 seed of a meta.sr.ht `[webhooks] private-key`. The
// reference test vectors (T1, T2, …) are minted with it.
const TestPrivateKey = "ebzsjPaN6E13ln/FeNWly1C92q6bVMVdOnDo1HPl5fc="

// macSize is the length of the HMAC-SHA256 that ends every token.
const macSize = sha256.Size

// Token holds the fields of a meta.sr.ht OAuth 2.0 bearer token in wire
// order, plus knobs for tokens that sourcehut never mints.
type Token struct {
	// Version is the token format version; sourcehut mints 0.
	Version uint64
	// Expires is the last valid second, in Unix seconds.
	Expires int64
	// Grants is the grant string; "" means all permissions.
	Grants string
	// ClientID is the OAuth client UUID, "" for personal access tokens and
	// builds.sr.ht job tokens.
	ClientID string
	// Username is the bare username (no "~").
	Username string
	// Trailing bytes are appended after Username (inside the MACed payload).
	// Real meta ignores them.
	Trailing []byte
}

// Minter mints tokens with one HMAC key, as the builds.sr.ht worker and
// meta.sr.ht do.
type Minter struct {
	key []byte
}

// NewMinter derives the bearer HMAC key from a base64 Ed25519 seed (the
// `[webhooks] private-key` of config.ini): HMAC-SHA256 keyed with the 64-byte
// Go private key (seed ‖ public key) over "sr.ht HMAC key".
func NewMinter(privateKeyB64 string) (*Minter, error) {
	seed, err := base64.StdEncoding.DecodeString(privateKeyB64)
	if err != nil {
		return nil, fmt.Errorf("srhttest: private key: %w", err)
	}
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("srhttest: private key: %d bytes, want %d", len(seed), ed25519.SeedSize)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	m := hmac.New(sha256.New, priv)
	m.Write([]byte("sr.ht HMAC key"))
	return &Minter{key: m.Sum(nil)}, nil
}

// TestMinter returns a Minter for TestPrivateKey.
func TestMinter() *Minter {
	m, err := NewMinter(TestPrivateKey)
	if err != nil {
		panic(err) // the constant is valid
	}
	return m
}

// BearerKey returns a copy of the derived HMAC key.
func (m *Minter) BearerKey() []byte { return append([]byte(nil), m.key...) }

// Mint returns the canonical token string for t: unpadded standard base64 of
// the BARE payload followed by its HMAC.
func (m *Minter) Mint(t Token) string {
	payload := EncodePayload(t)
	return base64.RawStdEncoding.EncodeToString(append(payload, m.mac(payload)...))
}

// MintBadMAC mints t with the lowest bit of the last MAC byte flipped.
func (m *Minter) MintBadMAC(t Token) string {
	payload := EncodePayload(t)
	mac := m.mac(payload)
	mac[len(mac)-1] ^= 1
	return base64.RawStdEncoding.EncodeToString(append(payload, mac...))
}

func (m *Minter) mac(payload []byte) []byte {
	h := hmac.New(sha256.New, m.key)
	h.Write(payload)
	return h.Sum(nil)
}

// EncodePayload returns the BARE encoding of t: varuint Version, i64
// Expires (little-endian), then three varuint-length-prefixed strings, then
// t.Trailing.
func EncodePayload(t Token) []byte {
	b := binary.AppendUvarint(nil, t.Version)
	b = binary.LittleEndian.AppendUint64(b, uint64(t.Expires))
	for _, s := range []string{t.Grants, t.ClientID, t.Username} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return append(b, t.Trailing...)
}

// NonCanonical returns tok with a non-zero padding bit in its last
// character: a different string that meta's non-strict decoder maps to the
// same bytes (and so to the same valid MAC). It returns "" when tok has no
// padding bits (its length is a multiple of 4) or is not canonical already.
func NonCanonical(tok string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	if len(tok)%4 != 2 && len(tok)%4 != 3 {
		return ""
	}
	last := strings.IndexByte(alphabet, tok[len(tok)-1])
	if last < 0 || last&1 != 0 {
		return ""
	}
	return tok[:len(tok)-1] + string(alphabet[last|1])
}

// Decode is meta.sr.ht's DecodeBearerToken as the 2023 core-go does it:
// non-strict RawStd base64, more than 32 bytes, constant-time HMAC check, BARE
// unmarshal ignoring trailing bytes, version 0, and refusal when now is after
// Expires. ok is false for every failure.
func (m *Minter) Decode(tok string, now time.Time) (t Token, ok bool) {
	raw, err := base64.RawStdEncoding.DecodeString(tok)
	if err != nil || len(raw) <= macSize {
		return Token{}, false
	}
	payload, mac := raw[:len(raw)-macSize], raw[len(raw)-macSize:]
	if !hmac.Equal(mac, m.mac(payload)) {
		return Token{}, false
	}
	t, ok = decodeLenient(payload)
	if !ok || t.Version != 0 {
		return Token{}, false
	}
	if now.UTC().After(time.Unix(t.Expires, 0)) {
		return Token{}, false
	}
	return t, true
}

// maxBareString is go-bare's per-string cap (maxUnmarshalBytes).
const maxBareString = 32 << 20

// decodeLenient reads the BARE payload like go-bare: varuints may be
// non-minimal, strings must be valid UTF-8 and at most 32 MiB, and trailing
// bytes are ignored.
func decodeLenient(b []byte) (Token, bool) {
	var t Token
	v, n := binary.Uvarint(b)
	if n <= 0 {
		return Token{}, false
	}
	t.Version, b = v, b[n:]
	if len(b) < 8 {
		return Token{}, false
	}
	t.Expires, b = int64(binary.LittleEndian.Uint64(b)), b[8:]
	fields := []*string{&t.Grants, &t.ClientID, &t.Username}
	for _, f := range fields {
		l, n := binary.Uvarint(b)
		if n <= 0 || l > maxBareString || l > uint64(len(b)-n) {
			return Token{}, false
		}
		s := b[n : n+int(l)]
		if !utf8.Valid(s) {
			return Token{}, false
		}
		*f, b = string(s), b[n+int(l):]
	}
	t.Trailing = append([]byte(nil), b...)
	return t, true
}
