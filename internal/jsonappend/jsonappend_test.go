package jsonappend

import (
	"encoding/json"
	"testing"
)

// TestStringIsByteIdenticalToJSONMarshal covers the fast path and every
// byte class that json.Marshal escapes.
func TestStringIsByteIdenticalToJSONMarshal(t *testing.T) {
	for _, s := range []string{"", "registry.example", "a\"b", `back\slash`, "<tag>&", "tab\there", "ünïcode", "\x7f", "\u2028", "\xff"} {
		want, _ := json.Marshal(s)
		if got := String([]byte("x"), s); string(got) != "x"+string(want) {
			t.Errorf("String(%q) = %s, want x%s", s, got, want)
		}
	}
}

// FuzzString checks String against json.Marshal for any input.
func FuzzString(f *testing.F) {
	for _, s := range []string{"", "a", "<&>", "\x00", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := String(nil, s); string(got) != string(want) {
			t.Fatalf("String(%q) = %s, want %s", s, got, want)
		}
	})
}
