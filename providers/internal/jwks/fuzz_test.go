package jwks

import (
	"testing"
)

// FuzzParse feeds arbitrary JWKS documents to the parser: it must never
// panic, and whatever it keeps is at most MaxKeys public signing keys of a
// supported type that survive a round trip through the parser.
func FuzzParse(f *testing.F) {
	ec := string(jwksJSON(f, ecKey(f, "k")))
	for _, s := range []string{
		ec, `{"keys":[]}`, `{}`, `[]`, `null`, `{"keys":[null,1,"x",{}]}`,
		`{"keys":[{"kty":"oct","k":"AAAA"}]}`,
		`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}`,
		`{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]}`,
		`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`,
		`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}]}`,
		"{\"keys\":[{\"kty\":\"EC\",\"kid\":\"\xff\"}]}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		keys, err := Parse(doc)
		if err != nil {
			if keys != nil {
				t.Fatal("keys returned with an error")
			}
			return
		}
		if len(keys) == 0 || len(keys) > MaxKeys {
			t.Fatalf("kept %d keys", len(keys))
		}
		for _, k := range keys {
			if !k.IsPublic() || !usable(k.Key) || (k.Use != "" && k.Use != "sig") {
				t.Fatalf("kept an unusable key %+v", k)
			}
		}
		again, err := Parse(jwksJSON(t, keys...))
		if err != nil || len(again) != len(keys) {
			t.Fatalf("kept keys do not parse again: %d keys, %v", len(again), err)
		}
	})
}
