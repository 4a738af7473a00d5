// Package gitlab is the provider for GitLab accounts (gitlab.com and
// self-managed): `docker login -u <anything> -p <GitLab token>` with a
// personal access token (or a project or group access token, which are
// PATs of a bot user) or an OAuth 2.0 access token of that instance.
//
// The identity comes from GET /api/v4/user, never from the Basic username:
// the subject is the immutable numeric user id. The token's scopes come
// from GET /api/v4/personal_access_tokens/self (PATs) or GET
// /oauth/token/info (OAuth tokens) and cap the registry actions:
// read_registry → pull, write_registry → pull and push, api → pull, push and
// delete (what GitLab's own registry grants an api token). Every accepted
// token also needs read_api or api, without which GitLab lets it read
// neither the user, nor the groups, nor any project's permissions: a
// registry-only PAT is refused. Groups are the full paths (a/b/c) of the
// groups where the user is at least Guest.
//
// RepositoryPermission mirrors the project of the same path: GET
// /api/v4/projects/<url-encoded path>, the answered path_with_namespace
// compared with the asked one, the higher of permissions.project_access and
// permissions.group_access mapped Reporter → read, Developer → write,
// Maintainer and Owner → admin (Guest, Planner and unknown levels → none),
// and, when GitLab reports neither (access through a group the project is
// shared with), GET /api/v4/projects/:id/members/all/:user_id. A moved
// project (301) or a missing one (404) is none.
package gitlab
