package bridge

import (
	"fmt"
	"net/url"
	"strconv"
)

// Catalog and search paging limits. DefaultCatalogEntries and
// MaxCatalogEntries are distribution's defaults (catalog.maxentries).
const (
	DefaultCatalogEntries = 100
	MaxCatalogEntries     = 1000
	DefaultSearchPageSize = 25
	MaxSearchPageSize     = 100
	// maxCatalogQueryBytes caps the raw query of a catalog or search
	// request: a repository name is at most 255 bytes.
	maxCatalogQueryBytes = 2048
)

// CatalogQuery is a parsed `GET /v2/_catalog` query.
type CatalogQuery struct {
	// N is the page size: distribution's default when absent, 0 for an
	// empty page.
	N int
	// Last is the name the page starts after ("" from the start).
	Last string
}

// SearchQuery is a parsed `GET /v1/search` query.
type SearchQuery struct {
	// Q is the text matched, ignoring case, as a substring of names.
	Q string
	// N is the page size (1 to MaxSearchPageSize).
	N int
	// Page counts from 1.
	Page int
}

// queryError is a malformed catalog or search query, with the registry
// error code distribution uses.
type queryError struct {
	code, message string
}

func (e *queryError) Error() string { return e.message }

func paginationError(format string, args ...any) *queryError {
	return &queryError{code: "PAGINATION_NUMBER_INVALID", message: fmt.Sprintf(format, args...)}
}

// parseQuery decodes raw and keeps each parameter's first value, as
// distribution's handlers read them.
func parseQuery(raw string) (url.Values, error) {
	if len(raw) > maxCatalogQueryBytes {
		return nil, &queryError{code: "BAD_REQUEST", message: fmt.Sprintf("query string longer than %d bytes", maxCatalogQueryBytes)}
	}
	v, err := url.ParseQuery(raw)
	if err != nil {
		return nil, &queryError{code: "BAD_REQUEST", message: fmt.Sprintf("malformed query string: %v", err)}
	}
	return v, nil
}

// ParseCatalogQuery reads `n` and `last` as distribution does: `n` absent
// is 100; not a number, negative or above 1000 is an error; 0 asks for an
// empty page.
func ParseCatalogQuery(raw string) (CatalogQuery, error) {
	v, err := parseQuery(raw)
	if err != nil {
		return CatalogQuery{}, err
	}
	q := CatalogQuery{N: DefaultCatalogEntries, Last: v.Get("last")}
	if n := v.Get("n"); n != "" {
		parsed, err := strconv.Atoi(n)
		if err != nil || parsed < 0 {
			return CatalogQuery{}, paginationError("n %q is not a non-negative number", n)
		}
		if parsed > MaxCatalogEntries {
			return CatalogQuery{}, paginationError("n %d is above the most entries a page holds (%d)", parsed, MaxCatalogEntries)
		}
		q.N = parsed
	}
	return q, nil
}

// ParseSearchQuery reads `q`, `n` (default 25, at most 100) and `page`
// (default 1).
func ParseSearchQuery(raw string) (SearchQuery, error) {
	v, err := parseQuery(raw)
	if err != nil {
		return SearchQuery{}, err
	}
	q := SearchQuery{Q: v.Get("q"), N: DefaultSearchPageSize, Page: 1}
	if n := v.Get("n"); n != "" {
		parsed, err := strconv.Atoi(n)
		if err != nil || parsed < 1 || parsed > MaxSearchPageSize {
			return SearchQuery{}, paginationError("n %q is not a number from 1 to %d", n, MaxSearchPageSize)
		}
		q.N = parsed
	}
	if p := v.Get("page"); p != "" {
		parsed, err := strconv.Atoi(p)
		if err != nil || parsed < 1 {
			return SearchQuery{}, paginationError("page %q is not a number from 1", p)
		}
		q.Page = parsed
	}
	return q, nil
}
