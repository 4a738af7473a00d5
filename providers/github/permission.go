package github

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

// RepositoryPermission asks GitHub for the credential's permission on the
// repository repo ("owner/name", exactly two segments of registry-name
// characters; anything else is PermissionNone without a call) with
// GET /repos/{owner}/{name}, and maps the answer's permissions object
// (see ParseRepository): admin → admin; maintain, push → write; triage,
// pull → read.
//
// An answer about another repository than the one asked (full_name
// compared with forgeapi.SameRepository) is PermissionNone, as are 404
// (missing, or private and invisible to this token, forges.md §3.5), a
// redirect (a renamed or transferred repository: the old path is not the
// new repository, §3.5) and a 403 that is no rate limit (SAML SSO not
// authorized for the token, X-GitHub-SSO: required, §3.2; or the token is
// not allowed there). 401 is ErrInvalidCredential; rate limits, 5xx and
// transport failures are unavailable.
func (p *Provider) RepositoryPermission(ctx context.Context, cred providers.Credential, _ providers.Identity, repo string) (providers.Permission, error) {
	owner, name, ok := strings.Cut(repo, "/")
	if !forgeapi.ValidRepository(repo, 2) || strings.Contains(name, "/") || !ok {
		return providers.PermissionNone, nil
	}
	auth, _, err := p.credential(cred)
	if err != nil {
		return providers.PermissionNone, fmt.Errorf("github: permission: %w", err)
	}
	op := "GET /repos/" + repo
	resp, err := p.api.Get(ctx, auth, "/repos/"+url.PathEscape(owner)+"/"+url.PathEscape(name), nil)
	if errors.Is(err, upstream.ErrRedirect) {
		p.log.DebugContext(ctx, "github repository moved", "repository", repo)
		return providers.PermissionNone, nil
	}
	if err != nil {
		return providers.PermissionNone, fmt.Errorf("github: permission: %w", withHint(err))
	}
	switch {
	case resp.Status == http.StatusOK:
	case resp.Status == http.StatusNotFound, resp.Status >= 300 && resp.Status < 400:
		return providers.PermissionNone, nil
	default:
		err := p.refusal(op, resp)
		if resp.Status == http.StatusForbidden && errors.Is(err, providers.ErrInvalidCredential) {
			p.log.DebugContext(ctx, "github refused the repository", "repository", repo, "sso", resp.Header.Get("X-GitHub-SSO"), "message", message(resp.Body))
			return providers.PermissionNone, nil
		}
		return providers.PermissionNone, fmt.Errorf("github: permission: %w", err)
	}
	r, err := ParseRepository(resp.Body)
	if err != nil {
		return providers.PermissionNone, fmt.Errorf("github: permission: %s: %w", op, forgeapi.Unavailable(forgeapi.DefaultRetryAfter, err))
	}
	if !forgeapi.SameRepository(repo, r.FullName) {
		p.log.DebugContext(ctx, "github answered about another repository", "repository", repo, "full_name", clip(r.FullName))
		return providers.PermissionNone, nil
	}
	return r.Permission, nil
}
