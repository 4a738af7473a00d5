package gitea

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/internal/forgeapi"
	"github.com/regbridge/regbridge/providers/upstream"
)

// Repository is the part of GET /repos/{owner}/{repo} the provider reads.
type Repository struct {
	FullName    string       `json:"full_name"`
	Permissions *Permissions `json:"permissions"`
}

// Permissions is Gitea's permission object on a repository.
type Permissions struct {
	Admin bool `json:"admin"`
	Push  bool `json:"push"`
	Pull  bool `json:"pull"`
}

// Level maps Gitea's booleans to a permission level.
func (p *Permissions) Level() providers.Permission {
	switch {
	case p == nil:
		return providers.PermissionNone
	case p.Admin:
		return providers.PermissionAdmin
	case p.Push:
		return providers.PermissionWrite
	case p.Pull:
		return providers.PermissionRead
	}
	return providers.PermissionNone
}

// RepositoryPermission asks the forge, with the credential, about the
// repository "owner/name". A path that is not a valid two-segment Gitea
// repository path is none without a call; 404, a redirect (a renamed
// repository or owner) and an answer naming another repository are none.
func (p *Provider) RepositoryPermission(ctx context.Context, cred providers.Credential, id providers.Identity, repo string) (providers.Permission, error) {
	owner, name, ok := strings.Cut(repo, "/")
	if !ok || strings.Contains(name, "/") || !forgeapi.ValidRepository(repo, 2) {
		return providers.PermissionNone, nil
	}
	auth := forgeapi.Auth{Token: cred.Secret, TokenType: "token"}
	if id.Claims[ClaimCredential] == "password" {
		auth = basicAuth(cred)
	}
	path := "/repos/" + url.PathEscape(owner) + "/" + url.PathEscape(name)
	r, err := p.api.Get(ctx, auth, path, nil)
	if err != nil {
		if errors.Is(err, upstream.ErrRedirect) {
			return providers.PermissionNone, nil
		}
		return providers.PermissionNone, fmt.Errorf("gitea: permission: %w", err)
	}
	if r.Status != http.StatusOK {
		a := ParseRefusal(r.Status, r.Header, r.Body)
		switch a.kind {
		case refusedNotFound, refusedScope, refusedPublicOnly, refusedForbidden:
			return providers.PermissionNone, nil
		}
		return providers.PermissionNone, a.err("permission GET "+path, r.Status, r.Header, p.now())
	}
	var got Repository
	if err := r.Decode(&got); err != nil {
		return providers.PermissionNone, forgeapi.Unavailable(0, fmt.Errorf("gitea: permission GET %s: %w", path, err))
	}
	if !forgeapi.SameRepository(repo, got.FullName) {
		return providers.PermissionNone, nil
	}
	return got.Permissions.Level(), nil
}

// KeptClaims implements providers.ClaimKeeper: RepositoryPermission reads
// how the credential was presented on cached identities too.
func (p *Provider) KeptClaims() []string { return []string{ClaimCredential} }
