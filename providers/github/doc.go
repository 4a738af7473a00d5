// Package github is the regbridge provider for GitHub accounts, on
// github.com and on GitHub Enterprise Server: `docker login -u <login> -p
// <token>` with a classic personal access token (ghp_), an OAuth app token
// (gho_), a fine-grained personal access token (github_pat_) or a GitHub
// App user token (ghu_). The Basic username only routes the password here.
//
// The identity comes from GET /user, never from the Basic username: the
// subject is GitHub's immutable numeric user id, the username its login. A
// user whose suspended_at is set is refused. Groups are the organisations
// (GET /user/orgs, "org") and teams (GET /user/teams, "org/team-slug"),
// lower-cased, read once per login with Link pagination of 100 a page, at
// most max_pages pages each.
//
// The token's X-OAuth-Scopes header caps the registry actions:
// read:packages → pull, write:packages → pull and push, delete:packages
// adds delete. A token with no package scope, and a token whose answers
// carry no scope header at all (fine-grained and GitHub App tokens, whose
// permissions GitHub does not reveal to the token), gets nothing unless
// allow_unscoped_tokens, and then pull only: it fails closed. An expiring
// token's GitHub-Authentication-Token-Expiration becomes Identity.Expiry.
//
// RepositoryPermission mirrors the user's role on one repository for
// policies that say `forge: same-path` or `forge: owner-repo`. Every
// answer of GitHub is classified as forges.md §5.1 says: 401 → invalid;
// rate limits (429, 403 with x-ratelimit-remaining: 0, retry-after, or a
// secondary-limit document), 5xx, timeouts and transport errors →
// providers.ErrUnavailable with a retry hint; redirects are never followed.
//
// Requests go to the API root that base_url maps to (see Config) and
// nowhere else, through forgeapi (x/oauth2 transport, timeouts, capped
// strict JSON, pagination links confined to the API root). See
// docs/forges.md.
package github
