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
	"github.com/regbridge/regbridge/providers/upstream"
)

// Permission maps a GitLab access_level to a forge permission the way
// GitLab's own registry does (app/policies/project_policy.rb,
// container_registry_authentication_service.rb): Reporter (20) may pull →
// read; Developer (30) may push → write; Maintainer (40) and Owner (50) may
// delete → admin. Guest (10), Planner (15), Minimal Access (5) and every
// level GitLab may add later → none.
func Permission(level int) providers.Permission {
	switch level {
	case 20:
		return providers.PermissionRead
	case 30:
		return providers.PermissionWrite
	case 40, 50:
		return providers.PermissionAdmin
	}
	return providers.PermissionNone
}

// RepositoryPermission asks GitLab about the project at exactly repo
// (group/sub/project, URL-encoded as one path segment). The answered
// path_with_namespace must be the same path up to ASCII case, else (a
// pre-16.7 redirect answered with the moved project) the answer is none; a
// 301 (moved, 16.7+) or 404 (missing or invisible) is none. The level is the
// higher of project_access and group_access; when GitLab reports neither
// (access through a group the project is shared with, an instance admin),
// the effective membership is asked at /projects/:id/members/all/:user_id.
// An archived project, read-only in GitLab, is at most read.
func (p *Provider) RepositoryPermission(ctx context.Context, cred providers.Credential, id providers.Identity, repo string) (providers.Permission, error) {
	perm, err := p.permission(ctx, cred, id, repo)
	return perm, withRetryHint(err)
}

func (p *Provider) permission(ctx context.Context, cred providers.Credential, id providers.Identity, repo string) (providers.Permission, error) {
	if !forgeapi.ValidRepository(repo, 2) {
		return providers.PermissionNone, nil
	}
	userID, err := strconv.ParseInt(id.Subject, 10, 64)
	if err != nil || userID <= 0 {
		return providers.PermissionNone, fmt.Errorf("gitlab: permission: subject %q is not a GitLab user id: %w", clean(id.Subject), providers.ErrInvalidCredential)
	}
	auth := forgeapi.Auth{Token: cred.Secret}
	r, err := p.api.Get(ctx, auth, "/projects/"+url.PathEscape(repo), nil)
	switch {
	case errors.Is(err, upstream.ErrRedirect):
		return providers.PermissionNone, nil
	case err != nil:
		return providers.PermissionNone, fmt.Errorf("gitlab: permission: %w", err)
	case r.Status == http.StatusNotFound:
		return providers.PermissionNone, nil
	case r.Status != http.StatusOK:
		return providers.PermissionNone, classify("permission", r, p.now())
	}
	proj, level, known, err := ParseProject(r.Body)
	if err != nil {
		return providers.PermissionNone, forgeapi.Unavailable(0, fmt.Errorf("gitlab: permission: %w", err))
	}
	if !forgeapi.SameRepository(repo, proj.PathWithNamespace) {
		return providers.PermissionNone, nil
	}
	if !known {
		if level, err = p.memberLevel(ctx, auth, proj.ID, userID); err != nil {
			return providers.PermissionNone, err
		}
	}
	perm := Permission(level)
	if proj.Archived && perm > providers.PermissionRead {
		perm = providers.PermissionRead
	}
	return perm, nil
}

// memberLevel asks for the user's effective membership of project id; 404
// (not a member) is level 0.
func (p *Provider) memberLevel(ctx context.Context, auth forgeapi.Auth, projectID, userID int64) (int, error) {
	path := "/projects/" + strconv.FormatInt(projectID, 10) + "/members/all/" + strconv.FormatInt(userID, 10)
	r, err := p.api.Get(ctx, auth, path, nil)
	switch {
	case errors.Is(err, upstream.ErrRedirect):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("gitlab: member: %w", err)
	case r.Status == http.StatusNotFound:
		return 0, nil
	case r.Status != http.StatusOK:
		return 0, classify("member", r, p.now())
	}
	m, err := ParseMember(r.Body)
	if err != nil {
		return 0, forgeapi.Unavailable(0, fmt.Errorf("gitlab: member: %w", err))
	}
	if m.ID != userID || (m.State != "" && m.State != "active") {
		return 0, nil
	}
	return m.AccessLevel, nil
}
