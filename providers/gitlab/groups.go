package gitlab

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/internal/forgeapi"
)

// minGroupLevel lists groups where the user is at least Guest (inherited
// membership of subgroups included); Minimal Access members see nothing.
const minGroupLevel = 10

// groups lists the full paths of the user's groups, following Link
// pagination for at most max_pages pages of 100. A user in more groups is
// refused: a partial list could make a deny rule on a group miss.
func (p *Provider) groups(ctx context.Context, auth forgeapi.Auth) ([]string, error) {
	q := url.Values{"min_access_level": {strconv.Itoa(minGroupLevel)}, "per_page": {strconv.Itoa(maxPerPage)}}
	seen := map[string]bool{}
	out := []string{}
	err := p.api.Pages(ctx, auth, "/groups", q, p.cfg.MaxPages, func(r *forgeapi.Response) error {
		if r.Status != http.StatusOK {
			return classify("groups", r, p.now())
		}
		page, err := ParseGroups(r.Body)
		if err != nil {
			return forgeapi.Unavailable(0, fmt.Errorf("gitlab: %w", err))
		}
		for _, g := range page {
			if !seen[g] {
				seen[g] = true
				out = append(out, g)
			}
		}
		return nil
	})
	switch {
	case err == nil:
		return out, nil
	case errors.Is(err, providers.ErrUnavailable), errors.Is(err, providers.ErrInvalidCredential):
		return nil, err
	}
	return nil, fmt.Errorf("gitlab: groups: more than max_pages (%d) pages of %d: %v: %w", p.cfg.MaxPages, maxPerPage, err, providers.ErrInvalidCredential)
}
