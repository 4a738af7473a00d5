package sourcehut

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// macSize is the length of the HMAC-SHA256 that ends every token.
const macSize = sha256.Size

// Token is the payload of a meta.sr.ht OAuth 2.0 bearer token (core-go's
// BearerToken). Its MAC can only be checked by meta.sr.ht: a decoded Token
// is trustworthy only after meta accepted the byte-identical string.
type Token struct {
	// Version is the format version; only 0 exists.
	Version uint64
	// Expires is the last valid second (the token is valid while
	// now <= Expires).
	Expires time.Time
	// Grants is the raw grant string; "" means all permissions.
	Grants string
	// ClientID is the OAuth client UUID, "" for personal access tokens and
	// builds.sr.ht job tokens.
	ClientID string
	// Username is the bare sr.ht username.
	Username string
}

// errToken is wrapped by every decoding error.
var errToken = errors.New("malformed token")

// DecodeToken decodes s strictly: canonical unpadded standard base64 (a
// string with non-zero padding bits is refused, so no two strings decode to
// one token; so is any character outside A-Z a-z 0-9 + /, newlines
// included), more than 32 bytes, then the exact BARE layout of the payload
// before the 32-byte MAC — minimal varuints, version 0, valid UTF-8, and no
// trailing bytes. It does not and cannot check the MAC. raw is the decoded
// bytes (payload ‖ MAC), the canonical form of the token.
func DecodeToken(s string) (tok Token, raw []byte, err error) {
	if !tokenAlphabet(s) {
		// Go's decoder skips \r and \n even in strict mode.
		return Token{}, nil, fmt.Errorf("%w: characters outside unpadded standard base64", errToken)
	}
	raw, err = base64.RawStdEncoding.Strict().DecodeString(s)
	if err != nil {
		return Token{}, nil, fmt.Errorf("%w: not canonical unpadded base64: %v", errToken, err)
	}
	if len(raw) <= macSize {
		return Token{}, nil, fmt.Errorf("%w: %d bytes, need more than %d", errToken, len(raw), macSize)
	}
	tok, err = decodePayload(raw[:len(raw)-macSize])
	if err != nil {
		return Token{}, nil, err
	}
	return tok, raw, nil
}

// decodePayload reads the BARE struct (uint Version, i64 Expires, string
// Grants, string ClientID, string Username) and refuses anything else.
func decodePayload(b []byte) (Token, error) {
	var t Token
	v, b, err := readUvarint(b)
	if err != nil {
		return Token{}, fmt.Errorf("%w: version: %v", errToken, err)
	}
	if v != 0 {
		return Token{}, fmt.Errorf("%w: version %d, only 0 is known", errToken, v)
	}
	t.Version = v
	if len(b) < 8 {
		return Token{}, fmt.Errorf("%w: expires: short payload", errToken)
	}
	t.Expires = time.Unix(int64(binary.LittleEndian.Uint64(b)), 0).UTC()
	b = b[8:]
	for _, f := range []struct {
		name string
		dst  *string
	}{{"grants", &t.Grants}, {"client id", &t.ClientID}, {"username", &t.Username}} {
		var s string
		s, b, err = readString(b)
		if err != nil {
			return Token{}, fmt.Errorf("%w: %s: %v", errToken, f.name, err)
		}
		*f.dst = s
	}
	if len(b) != 0 {
		return Token{}, fmt.Errorf("%w: %d trailing bytes after the username", errToken, len(b))
	}
	return t, nil
}

// readUvarint reads a minimally encoded LEB128 varuint.
func readUvarint(b []byte) (uint64, []byte, error) {
	v, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, nil, errors.New("bad varuint")
	}
	if n > 1 && b[n-1] == 0 {
		return 0, nil, errors.New("non-minimal varuint")
	}
	return v, b[n:], nil
}

// readString reads a varuint length and that many bytes of valid UTF-8.
func readString(b []byte) (string, []byte, error) {
	l, b, err := readUvarint(b)
	if err != nil {
		return "", nil, err
	}
	if l > uint64(len(b)) {
		return "", nil, fmt.Errorf("length %d beyond the payload", l)
	}
	s := b[:l]
	if !utf8.Valid(s) {
		return "", nil, errors.New("invalid UTF-8")
	}
	return string(s), b[l:], nil
}
