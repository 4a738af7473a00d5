package gitea

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/internal/forgeapi"
)

// pageLimit is Gitea's largest page (MAX_RESPONSE_ITEMS).
const pageLimit = "50"

// Org is one entry of GET /user/orgs.
type Org struct {
	Name string `json:"name"`
}

// Team is one entry of GET /user/teams.
type Team struct {
	Name         string `json:"name"`
	Organization *Org   `json:"organization"`
}

// orgGroups turns organisations into groups "org" (lower case).
func orgGroups(orgs []Org) ([]string, error) {
	out := make([]string, 0, len(orgs))
	for _, o := range orgs {
		if !validName(o.Name) {
			return nil, fmt.Errorf("organisation name %q is not a Gitea name", clean(o.Name, 60))
		}
		out = append(out, strings.ToLower(o.Name))
	}
	return out, nil
}

// teamGroups turns teams into groups "org/team" (lower case; Gitea names
// are unique regardless of case, so lower-casing maps one to one).
func teamGroups(teams []Team) ([]string, error) {
	out := make([]string, 0, len(teams))
	for _, t := range teams {
		if t.Organization == nil || !validName(t.Organization.Name) || !validName(t.Name) {
			return nil, fmt.Errorf("team %q has no valid organisation or name", clean(t.Name, 60))
		}
		out = append(out, strings.ToLower(t.Organization.Name+"/"+t.Name))
	}
	return out, nil
}

// groups lists the user's organisations and teams, every page, within
// max_pages each.
func (p *Provider) groups(ctx context.Context, auth forgeapi.Auth) ([]string, error) {
	var orgs []Org
	if err := p.list(ctx, auth, "/user/orgs", func(r *forgeapi.Response) error {
		var page []Org
		if err := r.Decode(&page); err != nil {
			return err
		}
		orgs = append(orgs, page...)
		return nil
	}); err != nil {
		return nil, err
	}
	var teams []Team
	if err := p.list(ctx, auth, "/user/teams", func(r *forgeapi.Response) error {
		var page []Team
		if err := r.Decode(&page); err != nil {
			return err
		}
		teams = append(teams, page...)
		return nil
	}); err != nil {
		return nil, err
	}
	og, err := orgGroups(orgs)
	if err != nil {
		return nil, forgeapi.Unavailable(0, fmt.Errorf("gitea: GET /user/orgs: %w", err))
	}
	tg, err := teamGroups(teams)
	if err != nil {
		return nil, forgeapi.Unavailable(0, fmt.Errorf("gitea: GET /user/teams: %w", err))
	}
	all := append(og, tg...)
	slices.Sort(all)
	return slices.Compact(all), nil
}

// errTooManyPages marks a list longer than max_pages pages.
var errTooManyPages = errors.New("more pages than max_pages")

// list reads every page of a list endpoint. A refusal is classified; a
// list longer than max_pages is refused as a definite answer (raise
// max_pages), a malformed page is unavailable.
func (p *Provider) list(ctx context.Context, auth forgeapi.Auth, path string, each func(*forgeapi.Response) error) error {
	pages := 0
	var refused error
	err := p.api.Pages(ctx, auth, path, url.Values{"limit": {pageLimit}}, p.cfg.MaxPages, func(r *forgeapi.Response) error {
		pages++
		if r.Status != http.StatusOK {
			refused = ParseRefusal(r.Status, r.Header, r.Body).err("GET "+path, r.Status, r.Header, p.now())
			return refused
		}
		if err := each(r); err != nil {
			return forgeapi.Unavailable(0, fmt.Errorf("gitea: GET %s: %w", path, err))
		}
		return nil
	})
	switch {
	case err == nil:
		return nil
	case refused != nil || errors.Is(err, providers.ErrUnavailable):
		return err
	case pages >= p.cfg.MaxPages:
		return fmt.Errorf("gitea: GET %s: %w (%d): %w", path, errTooManyPages, p.cfg.MaxPages, providers.ErrInvalidCredential)
	}
	return forgeapi.Unavailable(0, fmt.Errorf("gitea: GET %s: %w", path, err))
}
