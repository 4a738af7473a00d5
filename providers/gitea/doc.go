// Package gitea is the regbridge provider for Gitea and Forgejo accounts
// (`type: gitea`, `type: forgejo`). A person or a CI job runs
// `docker login -u <login> -p <token> registry.example.com` with a Gitea
// personal access token or OAuth2 access token; the Basic username only
// routes the password here and never chooses the identity.
//
// Every credential is sent only to `<base_url>/api/v1`, as
// `Authorization: token <secret>` (never as Basic, which Gitea would also
// check as the account password), unless allow_passwords is set. The
// identity comes from GET /user: the subject is the immutable numeric user
// id, the username its login, and the account state (prohibit_login,
// inactive, must-change-password, all answered by Gitea with 403) refuses
// the login. Groups are the user's organisations (`org`) and teams
// (`org/team`), lower-cased, from GET /user/orgs and GET /user/teams,
// paginated and capped by max_pages.
//
// Gitea does not tell a token its own scopes. The provider learns them from
// the forge's own refusal: a token without read:admin asking GET
// /admin/users is answered `403 token does not have at least one of
// required scope(s), required=[read:admin], token scope=<list>`, and that
// list is the token's normalised scope list. When the list cannot be had
// (Forgejo never prints it; a Gitea token holding read:admin or all passes
// the check), GET /packages/<login> shows whether the token can read
// packages, and whether it can also write them stays unknown. The cap on
// registry actions (Identity.MaxActions) is then:
//
//   - scope list known: write:package or all → pull, push, delete;
//     read:package → pull; neither → refused (pull with
//     allow_unscoped_tokens);
//   - scope list unknown, package read shown → pull (pull, push, delete with
//     assume_package_write); package read refused → as "neither" above;
//   - any other answer to a probe → no identity (ErrUnavailable or
//     ErrInvalidCredential), never a guess.
//
// Tokens whose list shows public-only, or lacks read:organization, are
// refused: their organisations and teams cannot be listed, and a partial
// group list could dodge a deny rule.
//
// RepositoryPermission asks GET /repos/{owner}/{repo} about exactly the
// requested path, checks that the answered full_name is the same
// repository, and maps `permissions` {admin, push, pull} to admin, write and
// read. A 404 or a redirect (a renamed repository or owner) is no access.
//
// Forge outages (transport errors, timeouts, redirects on identity calls,
// 5xx, 429, bodies over the cap) are providers.ErrUnavailable with a retry
// hint; 401 and refused accounts are providers.ErrInvalidCredential.
package gitea
