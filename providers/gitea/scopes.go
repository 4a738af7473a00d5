package gitea

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/internal/forgeapi"
)

// Scopes is what the provider learnt about a token's scopes.
type Scopes struct {
	// List is the token's normalised scope list, when Gitea printed it.
	List []string
	// Known reports whether List is the token's whole scope list.
	Known bool
	// PackageRead, when the list is unknown, reports whether the forge let
	// the token read the user's packages.
	PackageRead bool
}

// has reports whether the known list grants scope (read:X is implied by
// write:X, everything by all).
func (s Scopes) has(scope string) bool {
	if slices.Contains(s.List, "all") || slices.Contains(s.List, scope) {
		return true
	}
	if level, cat, ok := cut(scope); ok && level == "read" {
		return slices.Contains(s.List, "write:"+cat)
	}
	return false
}

func cut(scope string) (level, cat string, ok bool) {
	for i := 0; i < len(scope); i++ {
		if scope[i] == ':' {
			return scope[:i], scope[i+1:], true
		}
	}
	return "", "", false
}

// Cap derives the registry actions a token may have at most; nil means
// the token has no registry scope. See the package documentation.
func (s Scopes) Cap(assumeWrite bool) []string {
	write := []string{"pull", "push", "delete"}
	switch {
	case s.Known && s.has("write:package"):
		return write
	case s.Known && s.has("read:package"):
		return []string{"pull"}
	case !s.Known && s.PackageRead && assumeWrite:
		return write
	case !s.Known && s.PackageRead:
		return []string{"pull"}
	}
	return nil
}

// grants returns the scope strings the identity carries: the list when
// known, else the scopes the answered calls proved.
func (s Scopes) grants() []string {
	if s.Known {
		return append([]string{}, s.List...)
	}
	g := []string{"read:user"}
	if s.PackageRead {
		g = append(g, "read:package")
	}
	return g
}

// refuse returns an error for a known list the provider cannot serve.
func (s Scopes) refuse() error {
	switch {
	case !s.Known:
		return nil
	case slices.Contains(s.List, "public-only"):
		return fmt.Errorf("gitea: authenticate: public-only tokens cannot list the user's teams: %w", providers.ErrInvalidCredential)
	case !s.has("read:organization"):
		return fmt.Errorf("gitea: authenticate: the token lacks read:organization, needed to list the user's organisations: %w", providers.ErrInvalidCredential)
	}
	return nil
}

// learnScopes asks the forge about the token's scopes: first GET
// /admin/users (whose missing-scope 403 prints the list), then, only when
// that told nothing, GET /packages/<login>.
func (p *Provider) learnScopes(ctx context.Context, auth forgeapi.Auth, login string) (Scopes, error) {
	s, _, err := p.probe(ctx, auth, "/admin/users", url.Values{"limit": {"1"}})
	if err != nil || s.Known {
		return s, err
	}
	s, lacks, err := p.probe(ctx, auth, "/packages/"+url.PathEscape(login), url.Values{"limit": {"1"}})
	if err != nil || s.Known {
		return s, err
	}
	// Without a printed list, the package route either refused the token
	// for its scope or let it through: it can read packages.
	return Scopes{PackageRead: !lacks}, nil
}

// probe makes one scope-probing call. lacks is true for a missing-scope
// 403 (the token lacks the route's scope), whose list, when Gitea printed
// it, is returned as known. A call that passed the scope check (200, or a
// 403 of a later check such as "user should be the site admin") returns an
// unknown list and lacks false.
func (p *Provider) probe(ctx context.Context, auth forgeapi.Auth, path string, q url.Values) (s Scopes, lacks bool, err error) {
	r, err := p.api.Get(ctx, auth, path, q)
	if err != nil {
		return Scopes{}, false, fmt.Errorf("gitea: scope probe: %w", err)
	}
	if r.Status == http.StatusOK {
		return Scopes{}, false, nil
	}
	a := ParseRefusal(r.Status, r.Header, r.Body)
	switch a.kind {
	case refusedScope:
		if a.Scopes != nil {
			return Scopes{List: a.Scopes, Known: true}, true, nil
		}
		return Scopes{}, true, nil
	case refusedForbidden:
		return Scopes{}, false, nil
	}
	return Scopes{}, false, a.err("scope probe GET "+path, r.Status, r.Header, p.now())
}
