package strictjson

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestObjectRejectsWhatEncodingJSONLetsThrough(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"a duplicate key is refused instead of last-wins", `{"sub":"a","sub":"b"}`},
		{"a duplicate key in a nested object is refused", `{"cnf":{"jkt":"a","jkt":"b"}}`},
		{"an array is not an object", `["a"]`},
		{"trailing data is refused", `{"a":1}{"b":2}`},
		{"nesting beyond the limit is refused", strings.Repeat(`{"a":`, MaxDepth+1) + "1" + strings.Repeat("}", MaxDepth+1)},
		{"truncated input is refused", `{"a":`},
		{"invalid utf-8 escapes are refused", `{"a":"\x"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Object([]byte(tt.in)); err == nil {
				t.Fatalf("Object(%q) succeeded, want error", tt.in)
			}
		})
	}
}

func TestObjectKeepsTypes(t *testing.T) {
	got, err := Object([]byte(`{"n":65,"s":"65","b":true,"l":["x",{"y":null}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := got["n"].(json.Number); !ok || n.String() != "65" {
		t.Errorf("n = %#v, want json.Number 65", got["n"])
	}
	if s, ok := got["s"].(string); !ok || s != "65" {
		t.Errorf("s = %#v, want string", got["s"])
	}
	if b, ok := got["b"].(bool); !ok || !b {
		t.Errorf("b = %#v, want true", got["b"])
	}
	l, ok := got["l"].([]any)
	if !ok || len(l) != 2 {
		t.Fatalf("l = %#v", got["l"])
	}
	if m, ok := l[1].(map[string]any); !ok || m["y"] != nil {
		t.Errorf("l[1] = %#v", l[1])
	}
}

func TestDuplicateKeyErrorIsTyped(t *testing.T) {
	_, err := Object([]byte(`{"a":1,"a":1}`))
	if !errors.Is(err, ErrDuplicateKey) {
		t.Fatalf("err = %v, want ErrDuplicateKey", err)
	}
}

func FuzzObject(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":[1,{"b":"c"}]}`, `{"a":1,"a":2}`, `[`, `{"a":"\u0000"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Object(b)
		if err == nil && m == nil {
			t.Fatal("nil map without error")
		}
	})
}

func TestValueRefusesInvalidUTF8AndTrailingData(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"invalid UTF-8 bytes are refused, not replaced", "{\"a\":\"\xff\"}", ErrNotUTF8},
		{"a second value after the first is refused", `[1] [2]`, ErrTrailing},
		{"a duplicate key inside an array element is refused", `[{"a":1,"a":2}]`, ErrDuplicateKey},
		{"arrays nested beyond the limit are refused", strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1), ErrTooDeep},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Value([]byte(tt.in)); !errors.Is(err, tt.want) {
				t.Fatalf("Value(%q) = %v, want %v", tt.in, err, tt.want)
			}
		})
	}
}

func TestObjectDepthHonoursTheCallersLimit(t *testing.T) {
	in := []byte(`{"a":{"b":{"c":1}}}`)
	if _, err := ObjectDepth(in, 3); err != nil {
		t.Fatalf("ObjectDepth(3) = %v, want success", err)
	}
	if _, err := ObjectDepth(in, 2); !errors.Is(err, ErrTooDeep) {
		t.Fatalf("ObjectDepth(2) = %v, want ErrTooDeep", err)
	}
	if _, err := ObjectDepth([]byte(`[1]`), 3); !errors.Is(err, ErrNotObject) {
		t.Fatalf("ObjectDepth of an array = %v, want ErrNotObject", err)
	}
}

func TestUnmarshalChecksBeforeDecodingIntoTypes(t *testing.T) {
	type user struct {
		ID    int64  `json:"id"`
		Login string `json:"login"`
	}
	var u user
	if err := Unmarshal([]byte(`{"id":7,"login":"alice"}`), &u); err != nil || u.ID != 7 || u.Login != "alice" {
		t.Fatalf("Unmarshal = %+v, %v", u, err)
	}
	var v user
	if err := Unmarshal([]byte(`{"id":7,"login":"alice","login":"root"}`), &v); !errors.Is(err, ErrDuplicateKey) {
		t.Fatalf("duplicate login: err = %v, want ErrDuplicateKey (got %+v)", err, v)
	}
	if v.Login != "" {
		t.Fatalf("a refused answer filled the struct: %+v", v)
	}
	var list []user
	if err := Unmarshal([]byte(`[{"id":1,"login":"a"},{"id":2,"login":"b"}]`), &list); err != nil || len(list) != 2 {
		t.Fatalf("array: %v, %v", list, err)
	}
}
