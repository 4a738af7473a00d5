package gltest

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Offset pagination (doc/api/rest/_index.md "Pagination").
const (
	defaultPerPage = 20
	maxPerPage     = 100
)

// paginate writes one page of items with GitLab's headers: X-Page,
// X-Per-Page, X-Total, X-Total-Pages, X-Next-Page and X-Prev-Page (empty
// when there is none) and a Link header with rel="prev", "next", "first"
// and "last" absolute URLs. per_page is clamped to 100; a page past the end
// is an empty array.
func paginate(w http.ResponseWriter, r *http.Request, items []any) {
	q := r.URL.Query()
	per, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || per < 1 {
		per = defaultPerPage
	}
	per = min(per, maxPerPage)
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page < 1 {
		page = 1
	}
	total := len(items)
	pages := max(1, (total+per-1)/per)
	from := min(total, (page-1)*per)
	to := min(total, from+per)

	h := w.Header()
	h.Set("X-Page", strconv.Itoa(page))
	h.Set("X-Per-Page", strconv.Itoa(per))
	h.Set("X-Total", strconv.Itoa(total))
	h.Set("X-Total-Pages", strconv.Itoa(pages))
	h.Set("X-Next-Page", "")
	h.Set("X-Prev-Page", "")
	link := func(p int, rel string) string {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(p))
		q.Set("per_page", strconv.Itoa(per))
		u := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path, RawQuery: q.Encode()}
		return fmt.Sprintf("<%s>; rel=%q", u.String(), rel)
	}
	var links []string
	if page > 1 && page <= pages {
		h.Set("X-Prev-Page", strconv.Itoa(page-1))
		links = append(links, link(page-1, "prev"))
	}
	if page < pages {
		h.Set("X-Next-Page", strconv.Itoa(page+1))
		links = append(links, link(page+1, "next"))
	}
	links = append(links, link(1, "first"), link(pages, "last"))
	h.Set("Link", strings.Join(links, ", "))
	writeJSON(w, http.StatusOK, append([]any{}, items[from:to]...))
}
