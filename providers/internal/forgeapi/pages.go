package forgeapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// NextLink returns the rel="next" target of an RFC 8288 Link header, or ""
// when there is none.
func NextLink(h http.Header) string {
	for _, v := range h.Values("Link") {
		for _, part := range splitLinks(v) {
			target, params, ok := strings.Cut(part, ";")
			if !ok {
				continue
			}
			target = strings.TrimSpace(target)
			if !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
				continue
			}
			for _, p := range strings.Split(params, ";") {
				k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
				if strings.EqualFold(strings.TrimSpace(k), "rel") && relHas(strings.Trim(strings.TrimSpace(val), `"`), "next") {
					return target[1 : len(target)-1]
				}
			}
		}
	}
	return ""
}

// splitLinks splits a Link header value at the commas between links,
// leaving commas inside <…> alone.
func splitLinks(v string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range v {
		switch r {
		case '<':
			depth++
		case '>':
			if depth > 0 {
				depth--
			}
		case ',':
			if depth == 0 {
				out = append(out, v[start:i])
				start = i + 1
			}
		}
	}
	return append(out, v[start:])
}

func relHas(rels, want string) bool {
	for _, r := range strings.Fields(rels) {
		if strings.EqualFold(r, want) {
			return true
		}
	}
	return false
}

// Pages calls GET path?query, then follows rel="next" links for at most
// maxPages pages in all. Each page is handed to page, which returns an
// error to stop (the forge-specific classification of non-200 answers
// belongs there). A next link that leaves the base URL (scheme, host or
// path prefix) is an error: the token never goes anywhere else.
func (c *Client) Pages(ctx context.Context, auth Auth, path string, query url.Values, maxPages int, page func(*Response) error) error {
	resp, err := c.Get(ctx, auth, path, query)
	for n := 1; ; n++ {
		if err != nil {
			return err
		}
		if err := page(resp); err != nil {
			return err
		}
		next := NextLink(resp.Header)
		if next == "" || resp.Status != http.StatusOK {
			return nil
		}
		if n >= maxPages {
			return fmt.Errorf("forgeapi: GET %s: more than %d pages", path, maxPages)
		}
		u, perr := c.base.Parse(next)
		if perr != nil || u.Scheme != c.base.Scheme || u.Host != c.base.Host || !strings.HasPrefix(u.Path, c.base.Path+"/") {
			return Unavailable(0, fmt.Errorf("forgeapi: GET %s: next page link leaves the forge's API base URL", path))
		}
		resp, err = c.get(ctx, auth, u.String())
	}
}
