package gitlab

import (
	"fmt"
	"slices"
	"strings"

	"github.com/regbridge/regbridge/providers"
)

// Token scopes the provider reads (doc/user/profile/personal_access_tokens.md).
const (
	ScopeAPI           = "api"
	ScopeReadAPI       = "read_api"
	ScopeReadRegistry  = "read_registry"
	ScopeWriteRegistry = "write_registry"
)

// MaxActions returns the registry actions a token's scopes allow at most:
// api → pull, push, delete (GitLab's own registry gives an api token
// admin_container_image); write_registry → pull, push; read_registry →
// pull; the union when several are present. A token without any of them
// gets an error, or pull when allowUnscoped is set.
func MaxActions(scopes []string, allowUnscoped bool) ([]string, error) {
	switch {
	case slices.Contains(scopes, ScopeAPI):
		return []string{"pull", "push", "delete"}, nil
	case slices.Contains(scopes, ScopeWriteRegistry):
		return []string{"pull", "push"}, nil
	case slices.Contains(scopes, ScopeReadRegistry):
		return []string{"pull"}, nil
	case allowUnscoped:
		return []string{"pull"}, nil
	}
	return nil, fmt.Errorf("gitlab: token has no registry scope (read_registry, write_registry or api) and allow_unscoped_tokens is false: %w", providers.ErrInvalidCredential)
}

// checkAPIAccess refuses a token that cannot read the user, its groups and
// project permissions: GitLab lets only api and read_api do all three
// (lib/api/api.rb). A registry-only PAT ends here.
func checkAPIAccess(scopes []string) error {
	if slices.Contains(scopes, ScopeAPI) || slices.Contains(scopes, ScopeReadAPI) {
		return nil
	}
	return fmt.Errorf("gitlab: token has neither read_api nor api, so GitLab would not tell regbridge whose it is, "+
		"its groups or its project permissions (scopes [%s]; add read_api): %w", cleanList(scopes), providers.ErrInvalidCredential)
}

// cleanList renders at most ten forge-supplied strings for an error.
func cleanList(ss []string) string {
	out := make([]string, 0, min(len(ss), 10))
	for i, s := range ss {
		if i == 10 {
			out = append(out, "...")
			break
		}
		out = append(out, clean(s))
	}
	return strings.Join(out, " ")
}
