package oidc

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/regbridge/regbridge/providers/internal/strictjson"
)

// Limits on an incoming token, checked before any JSON is parsed.
const (
	// MaxTokenBytes is the longest token accepted.
	MaxTokenBytes = 32 << 10
	// maxJSONDepth bounds nesting in the header and the claims.
	maxJSONDepth = 16
	// maxKIDBytes bounds the `kid` header.
	maxKIDBytes = 256
	// maxAudiences bounds the number of `aud` values.
	maxAudiences = 32
)

var (
	errNotJWS = errors.New("not a compact JWS")
)

// parsedToken is a compact JWS split and decoded, nothing verified.
type parsedToken struct {
	raw     string
	header  map[string]any
	claims  map[string]any
	payload []byte
}

// parseToken splits a compact JWS into its parts and decodes the header and
// the claims strictly: unpadded base64url only, UTF-8, no duplicate members,
// bounded depth and size, no trailing data. It verifies nothing.
func parseToken(s string) (*parsedToken, error) {
	if len(s) > MaxTokenBytes {
		return nil, fmt.Errorf("%w: longer than %d bytes", errNotJWS, MaxTokenBytes)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return nil, fmt.Errorf("%w: byte %#x outside the base64url alphabet", errNotJWS, c)
		}
	}
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: %d parts, want 3", errNotJWS, len(parts))
	}
	for i, p := range parts {
		if p == "" {
			return nil, fmt.Errorf("%w: part %d is empty", errNotJWS, i+1)
		}
	}
	enc := base64.RawURLEncoding.Strict()
	hb, err := enc.DecodeString(parts[0])
	if err != nil {
		return nil, fmt.Errorf("%w: header: %v", errNotJWS, err)
	}
	pb, err := enc.DecodeString(parts[1])
	if err != nil {
		return nil, fmt.Errorf("%w: payload: %v", errNotJWS, err)
	}
	if _, err := enc.DecodeString(parts[2]); err != nil {
		return nil, fmt.Errorf("%w: signature: %v", errNotJWS, err)
	}
	header, err := decodeObject(hb)
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	claims, err := decodeObject(pb)
	if err != nil {
		return nil, fmt.Errorf("claims: %w", err)
	}
	return &parsedToken{raw: s, header: header, claims: claims, payload: pb}, nil
}

// decodeObject decodes a JSON object strictly (strictjson). Numbers stay
// json.Number so that large integer ids keep every digit.
func decodeObject(b []byte) (map[string]any, error) {
	return strictjson.ObjectDepth(b, maxJSONDepth)
}
