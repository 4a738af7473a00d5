package bridge

import (
	"net/url"
	"slices"
	"strings"
	"testing"
)

var paramCases = []string{
	"", "&", "&&", "a", "a=", "=a", "a=1&a=2", "a=1&b=2&a=3", "scope=repository%3Abench%2Fapp%3Apull&service=registry.bench",
	"a=%zz", "a%zz=1", "a=1;b=2", "a=1&b=%2", "a=1&c;d&e=%x", "a=%x&c;d", "a+b=c+d", "a=%20%2B", "k=v=w",
	"service=x&service=x", "service=x&service=y", strings.Repeat("a=1&", maxScannedParams+2),
	strings.Repeat("a=1&", maxScannedParams-1) + "b=%zz",
}

// parseParams must read a query exactly as url.ParseQuery does: the same
// values for every key, in order, and the same error.
func TestParseParamsReadsAQueryAsURLParseQueryDoes(t *testing.T) {
	for _, raw := range paramCases {
		checkParamsAgree(t, raw)
	}
}

func FuzzParseParams(f *testing.F) {
	for _, raw := range paramCases {
		f.Add(raw)
	}
	f.Fuzz(checkParamsAgree)
}

func checkParamsAgree(t *testing.T, raw string) {
	want, werr := url.ParseQuery(raw)
	got, gerr := parseParams(raw, nil)
	if (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() {
		t.Fatalf("parseParams(%q) error %v, url.ParseQuery %v", raw, gerr, werr)
	}
	keys := map[string]bool{}
	for _, kv := range got {
		keys[kv.key] = true
	}
	for k := range want {
		keys[k] = true
	}
	for k := range keys {
		if g := got.values(k); !slices.Equal(g, want[k]) {
			t.Fatalf("parseParams(%q)[%q] = %q, url.ParseQuery %q", raw, k, g, want[k])
		}
		s, err := single(got, k)
		distinct := slices.Compact(slices.Sorted(slices.Values(want[k])))
		switch {
		case len(distinct) > 1 && err == nil:
			t.Fatalf("single(%q) accepted the different values %q", k, want[k])
		case len(distinct) <= 1 && (err != nil || len(want[k]) > 0 && s != want[k][0]):
			t.Fatalf("single(%q) = %q, %v; values %q", k, s, err, want[k])
		}
	}
}

// The Authorization scheme is matched as strings.ToLower matched it,
// non-ASCII letters that lower-case to ASCII included.
func FuzzLowerIsStringsToLower(f *testing.F) {
	for _, s := range []string{"Basic", "BASIC", "basic", "Basi", "BASİC", "Bearer", "DPoP", "dpoP", "\u212Aasic", "ba\x00ic", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, name := range []string{"basic", "bearer", "dpop"} {
			if got, want := lowerIs(s, name), strings.ToLower(s) == name; got != want {
				t.Fatalf("lowerIs(%q, %q) = %v, strings.ToLower says %v", s, name, got, want)
			}
		}
	})
}
