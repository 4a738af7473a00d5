package bridge

import (
	"errors"
	"testing"
)

func TestCatalogQueriesAreReadAsDistributionReadsThem(t *testing.T) {
	cases := []struct {
		name, raw string
		want      CatalogQuery
		code      string
	}{
		{"no query is 100 from the start", "", CatalogQuery{N: 100}, ""},
		{"n and last", "n=2&last=a%2Fb", CatalogQuery{N: 2, Last: "a/b"}, ""},
		{"n=0 is an empty page", "n=0", CatalogQuery{N: 0}, ""},
		{"the first of repeated values counts", "n=1&n=2", CatalogQuery{N: 1}, ""},
		{"n at the maximum", "n=1000", CatalogQuery{N: 1000}, ""},
		{"n above the maximum", "n=1001", CatalogQuery{}, "PAGINATION_NUMBER_INVALID"},
		{"negative n", "n=-1", CatalogQuery{}, "PAGINATION_NUMBER_INVALID"},
		{"n not a number", "n=x", CatalogQuery{}, "PAGINATION_NUMBER_INVALID"},
		{"malformed escape", "last=%zz", CatalogQuery{}, "BAD_REQUEST"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseCatalogQuery(c.raw)
			var qe *queryError
			if c.code != "" {
				if !errors.As(err, &qe) || qe.code != c.code {
					t.Fatalf("err %v, want code %s", err, c.code)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, c.want)
			}
		})
	}
}

func TestSearchQueriesHaveDockersDefaultsAndBounds(t *testing.T) {
	cases := []struct {
		name, raw string
		want      SearchQuery
		fail      bool
	}{
		{"defaults", "q=App", SearchQuery{Q: "App", N: 25, Page: 1}, false},
		{"n and page", "q=a&n=100&page=3", SearchQuery{Q: "a", N: 100, Page: 3}, false},
		{"n=0", "n=0", SearchQuery{}, true},
		{"n above 100", "n=101", SearchQuery{}, true},
		{"page 0", "page=0", SearchQuery{}, true},
		{"page not a number", "page=one", SearchQuery{}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseSearchQuery(c.raw)
			if (err != nil) != c.fail || (!c.fail && got != c.want) {
				t.Fatalf("got %+v, %v", got, err)
			}
		})
	}
}

func FuzzCatalogAndSearchQueries(f *testing.F) {
	for _, s := range []string{"", "n=1&last=a", "n=-1", "q=x&n=25&page=2", "last=%zz", "page=9223372036854775807&n=100", "n=1000&last=" + string(make([]byte, 300))} {
		f.Add(s)
	}
	visible := []string{"a", "a/b", "a-b", "b/c"}
	f.Fuzz(func(t *testing.T, raw string) {
		if q, err := ParseCatalogQuery(raw); err == nil {
			if q.N < 0 || q.N > MaxCatalogEntries {
				t.Fatalf("n %d out of bounds", q.N)
			}
			page, more := catalogPage(visible, q)
			if len(page) > q.N || (more && len(page) != q.N) {
				t.Fatalf("page %v more %v for n %d", page, more, q.N)
			}
			for _, name := range page {
				if q.Last != "" && comparePath(name, q.Last) <= 0 {
					t.Fatalf("%q is not after last %q", name, q.Last)
				}
			}
		} else if len(raw) <= maxCatalogQueryBytes && !errors.As(err, new(*queryError)) {
			t.Fatalf("untyped error %v", err)
		}
		if q, err := ParseSearchQuery(raw); err == nil {
			if q.N < 1 || q.N > MaxSearchPageSize || q.Page < 1 {
				t.Fatalf("search query out of bounds: %+v", q)
			}
			resp := searchPage(visible, q)
			if len(resp.Results) > q.N || resp.NumResults > len(visible) {
				t.Fatalf("search page %+v", resp)
			}
		}
	})
}
