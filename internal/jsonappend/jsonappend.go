// Package jsonappend frames JSON by hand on the token path, where
// encoding/json's reflection and allocations cost more than the answer is
// worth. Its output is byte-identical to json.Marshal's.
package jsonappend

import "encoding/json"

// String appends s as a JSON string the way encoding/json does: directly
// when every byte is printable ASCII that json.Marshal leaves as it is,
// through json.Marshal otherwise.
func String(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
