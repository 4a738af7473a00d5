// Package strictjson decodes untrusted JSON objects with the checks that
// encoding/json leaves out: duplicate object keys are an error (never
// last-wins), nesting depth is bounded, and numbers keep their text
// (json.Number) so that `65` and `"65"` stay distinguishable.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// MaxDepth bounds the nesting of objects and arrays.
const MaxDepth = 32

// ErrDuplicateKey is returned when an object repeats a member name.
var ErrDuplicateKey = errors.New("strictjson: duplicate object key")

// Object decodes data, which must be exactly one JSON object, into a map.
// Values are string, json.Number, bool, nil, []any or map[string]any.
func Object(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("strictjson: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("strictjson: not a JSON object")
	}
	obj, err := object(dec, 1)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("strictjson: trailing data after object")
	}
	return obj, nil
}

func object(dec *json.Decoder, depth int) (map[string]any, error) {
	if depth > MaxDepth {
		return nil, fmt.Errorf("strictjson: nesting deeper than %d", MaxDepth)
	}
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
		v, err := value(dec, depth)
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

func array(dec *json.Decoder, depth int) ([]any, error) {
	if depth > MaxDepth {
		return nil, fmt.Errorf("strictjson: nesting deeper than %d", MaxDepth)
	}
	out := []any{}
	for dec.More() {
		v, err := value(dec, depth)
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

func value(dec *json.Decoder, depth int) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("strictjson: %w", err)
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			return object(dec, depth+1)
		case '[':
			return array(dec, depth+1)
		default:
			return nil, fmt.Errorf("strictjson: unexpected %q", t)
		}
	default:
		return t, nil
	}
}
