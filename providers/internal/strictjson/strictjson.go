// Package strictjson decodes untrusted JSON with the checks that
// encoding/json leaves out: invalid UTF-8 is an error (never replaced),
// duplicate object keys are an error (never last-wins), nesting depth is
// bounded, trailing data is refused, and numbers keep their text
// (json.Number) so that `65` and `"65"` stay distinguishable.
//
// Every adapter that reads JSON from a token or an upstream uses it: the
// JWS headers and claims of ID tokens, access tokens and DPoP proofs,
// introspection answers, and forge API answers.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// MaxDepth bounds the nesting of objects and arrays unless a caller asks
// for less.
const MaxDepth = 32

var (
	// ErrDuplicateKey is returned when an object repeats a member name.
	ErrDuplicateKey = errors.New("strictjson: duplicate object key")
	// ErrTooDeep is returned when objects and arrays nest deeper than the
	// limit.
	ErrTooDeep = errors.New("strictjson: nesting too deep")
	// ErrNotUTF8 is returned for input that is not valid UTF-8.
	ErrNotUTF8 = errors.New("strictjson: not valid UTF-8")
	// ErrTrailing is returned when anything but white space follows the
	// value.
	ErrTrailing = errors.New("strictjson: trailing data after value")
	// ErrNotObject is returned by Object for a value that is not an object.
	ErrNotObject = errors.New("strictjson: not a JSON object")
)

// Object decodes data, which must be exactly one JSON object, into a map.
// Values are string, json.Number, bool, nil, []any or map[string]any.
func Object(data []byte) (map[string]any, error) {
	return ObjectDepth(data, MaxDepth)
}

// ObjectDepth is Object with a nesting limit of maxDepth (the outer object
// is depth 1).
func ObjectDepth(data []byte, maxDepth int) (map[string]any, error) {
	v, err := ValueDepth(data, maxDepth)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, ErrNotObject
	}
	return m, nil
}

// Value decodes data, which must be exactly one JSON value of any kind.
func Value(data []byte) (any, error) {
	return ValueDepth(data, MaxDepth)
}

// ValueDepth is Value with a nesting limit of maxDepth.
func ValueDepth(data []byte, maxDepth int) (any, error) {
	if !utf8.Valid(data) {
		return nil, ErrNotUTF8
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := value(dec, 0, maxDepth)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, ErrTrailing
	}
	return v, nil
}

// Unmarshal checks data like Value and then decodes it into v with
// encoding/json, so typed answers (forge users, teams, permissions) get the
// same duplicate, depth, UTF-8 and trailing-data checks as claims.
func Unmarshal(data []byte, v any) error {
	if _, err := Value(data); err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("strictjson: %w", err)
	}
	return nil
}

func value(dec *json.Decoder, depth, maxDepth int) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("strictjson: %w", err)
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	if depth+1 > maxDepth {
		return nil, fmt.Errorf("%w (more than %d levels)", ErrTooDeep, maxDepth)
	}
	switch d {
	case '{':
		return object(dec, depth+1, maxDepth)
	case '[':
		return array(dec, depth+1, maxDepth)
	}
	return nil, fmt.Errorf("strictjson: unexpected %q", d)
}

func object(dec *json.Decoder, depth, maxDepth int) (map[string]any, error) {
	out := make(map[string]any)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("strictjson: %w", err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, errors.New("strictjson: object key is not a string")
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("%w %q", ErrDuplicateKey, key)
		}
		v, err := value(dec, depth, maxDepth)
		if err != nil {
			return nil, err
		}
		out[key] = v
	}
	if _, err := dec.Token(); err != nil { // closing '}'
		return nil, fmt.Errorf("strictjson: %w", err)
	}
	return out, nil
}

func array(dec *json.Decoder, depth, maxDepth int) ([]any, error) {
	out := []any{}
	for dec.More() {
		v, err := value(dec, depth, maxDepth)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if _, err := dec.Token(); err != nil { // closing ']'
		return nil, fmt.Errorf("strictjson: %w", err)
	}
	return out, nil
}
