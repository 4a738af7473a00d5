package strictjson

import (
	"encoding/json"
	"testing"
)

// FuzzValue checks that whatever strictjson accepts, encoding/json accepts
// too, and that no input makes it panic.
func FuzzValue(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `[1,{"b":[null,true]}]`, `{"a":1,"a":2}`, `"x"`, "\xff", `{"a":{"b":{}}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := Value(data); err != nil {
			return
		}
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			t.Fatalf("strictjson accepted %q that encoding/json refuses: %v", data, err)
		}
	})
}
