package jwks

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
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

// FuzzStateFile feeds arbitrary state files to the loader: it must never
// panic, and whatever it reads back is a loaded key set of this set's
// document, read from the issuer's origin, within the staleness bound.
func FuzzStateFile(f *testing.F) {
	const issuer = "http://127.0.0.1:8080"
	dir := f.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil {
		f.Fatal(err)
	}
	c := newClock()
	s, err := New(Options{Issuer: issuer, Discovery: true, Now: c.Now, StateDir: dir, MaxStale: time.Hour})
	if err != nil {
		f.Fatal(err)
	}
	good, err := json.Marshal(persisted{Key: s.key, From: issuer + "/keys", Discovered: issuer + "/keys",
		Fetched: c.Now().Add(-time.Minute), JWKS: jwksJSON(f, ecKey(f, "k"))})
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{string(good), `{}`, `null`, `{"key":"` + s.key + `","from":"http://evil.example/keys"}`,
		strings.Replace(string(good), "127.0.0.1:8080", "127.0.0.1:9090", 1)} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(persistPath(dir, s.key), b, 0o600); err != nil {
			t.Fatal(err)
		}
		st, err := s.load()
		if err != nil || st == nil {
			return
		}
		if !st.loaded || !st.fromDisk || len(st.keys) == 0 || sameOrigin(issuer, st.from) != nil {
			t.Fatalf("read back %+v", st)
		}
		if age := c.Now().Sub(st.fetched); age > time.Hour || age < -time.Minute {
			t.Fatalf("read back keys fetched %s ago", age)
		}
	})
}
