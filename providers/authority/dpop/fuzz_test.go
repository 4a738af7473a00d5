package dpop

import (
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// FuzzParse feeds arbitrary header values to the proof parser: it must never
// panic and never return a proof without a key, thumbprint and claims.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"",
		"a.b.c",
		"eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2In0.e30.AAAA",
		`{"protected":"e30","payload":"e30","signature":""}`,
		"eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwiY3J2IjoiUC0yNTYiLCJ4IjoiIiwieSI6IiJ9fQ.eyJqdGkiOiJ4In0.AA",
		"eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IlJTMjU2IiwiandrIjp7Imt0eSI6IlJTQSIsIm4iOiJBQSIsImUiOiJBUUFCIn19.e30.AA",
	} {
		f.Add(s)
	}
	algs := []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA, jose.RS256, jose.PS256}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s, algs)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T is not *Error", err)
			}
			return
		}
		if p.Key == nil || p.Thumbprint == "" || p.JTI == "" || p.HTM == "" || p.HTU == "" {
			t.Fatalf("incomplete proof accepted: %+v", p)
		}
	})
}

func FuzzNormalizeURL(f *testing.F) {
	for _, s := range []string{"https://a.example/x", "HTTPS://A:443/./b/../c", "http://[::1]/%7e", "https://a/%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := NormalizeURL(s)
		if err != nil {
			return
		}
		again, err := NormalizeURL(n)
		if err != nil || again != n {
			t.Fatalf("not idempotent: %q -> %q -> %q (%v)", s, n, again, err)
		}
	})
}
