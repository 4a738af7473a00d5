// Package gltest is a faithful fake of the GitLab REST endpoints the gitlab
// provider uses, for tests: a loopback HTTP server with GitLab's token
// lookup, scope checks, account checks, project visibility, redirects,
// pagination and rate-limit answers as shared/reference/forges.md §4 and
// §5.2 describe them (sources cited there and in the comments here), plus
// fault injection, request counting and an injectable clock.
//
// Start one per test; it is closed when the test ends:
//
//	clock := gltest.NewClock(time.Unix(1_900_000_000, 0))
//	gl := gltest.New(t, gltest.Options{Now: clock.Now})
//	gl.AddUser(gltest.User{ID: 7, Username: "jdoe"})
//	gl.AddProject(gltest.Project{Path: "acme/app"})
//	gl.AddGroupMember("acme", 7, gltest.Developer)
//	tok := gl.AddPAT(7, "read_api", "write_registry")
//	// configure base_url: gl.URL, and providers.Deps{Now: clock.Now}
//	if n := gl.CountEndpoint(gltest.EndpointUser); n != 1 { ... }
//
// # What the fake does for a request
//
//  1. Records it (Requests, Count, CountToken, CountEndpoint, CountPath)
//     and applies the current Fault (SetFault): slow, 500 JSON, 502/503/504
//     HTML, connection reset, a bare 429 without headers, 200 HTML.
//  2. Throttles (Options.RateLimit, SetRateLimit; off by default as on
//     self-managed): per user of a valid token, else per IP, in fixed
//     60-second windows on the fake's clock. Every answer then carries
//     RateLimit-Name, -Limit, -Observed, -Remaining and -Reset (Unix time);
//     over the limit: 429 text/plain "Retry later" with RateLimit-ResetTime
//     and Retry-After.
//  3. Finds the token like auth_finders.rb: a PAT from ?private_token=,
//     PRIVATE-TOKEN or Authorization: Bearer; an OAuth token from Bearer or
//     ?access_token= only. Unknown → 401 {"message":"401 Unauthorized"};
//     expired (checked first), then revoked → 401 {"error":"invalid_token",
//     "error_description":…} with WWW-Authenticate; a token without one of
//     the endpoint's scopes → 403 {"error":"insufficient_scope",…} without
//     WWW-Authenticate. /user takes api, read_api or read_user;
//     /personal_access_tokens/self any scope; the others api or read_api.
//     So a registry-only PAT reads /personal_access_tokens/self and nothing
//     else.
//  4. Account checks (find_current_user!): a blocked, pending or
//     deactivated user → 403 {"message":"403 Forbidden - <reason>"} on
//     every authenticated endpoint.
//  5. Endpoints (GET): /api/v4/user (is_admin only for admins);
//     /api/v4/personal_access_tokens/self (400 "This endpoint requires token
//     type to be a personal access token" for OAuth tokens; granular_scopes
//     when set); /oauth/token/info (Doorkeeper: OAuth tokens only, its own
//     401 bodies); /api/v4/groups (min_access_level with inherited
//     membership of subgroups; admins list every group unless
//     min_access_level is given); /api/v4/projects/:id (numeric id or
//     URL-encoded path, exact then case-insensitive match, 404 "404 Project
//     Not Found" when missing or invisible, permissions.project_access and
//     group_access from direct and namespace-group membership only, null
//     for access through a share, as gitlab-org/gitlab#3754 reports; a moved
//     project's old path → 301 to /api/v4/projects/:id, or 200 with the
//     moved project under Options.LegacyRedirects as before 16.7);
//     /api/v4/projects/:id/members/all/:user_id (effective level including
//     shares, 404 "404 Not found" for a non-member); /api/v3/* → 410.
//     Unknown routes → 404 {"error":"404 Not Found"}.
//  6. Listings paginate with page and per_page (default 20, at most 100),
//     Link (prev, next, first, last), X-Page, X-Per-Page, X-Total,
//     X-Total-Pages, X-Next-Page and X-Prev-Page.
//
// # What it does not reproduce
//
// Keyset pagination, Sudo, impersonation, job and deploy tokens, project
// and group access tokens as such (a Bot user with a PAT stands for them),
// external authorization, protected container repositories, group
// visibility, instance-admin mode, application rate limits other than the
// authenticated API throttle, and the exact JSON of fine-grained PATs.
// Whether members/all counts invited groups varies by GitLab version
// (forges.md §7); the fake counts them.
package gltest
