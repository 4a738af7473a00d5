// Package ghtest is a faithful fake of the GitHub REST endpoints the
// github provider uses, for tests: a loopback HTTP(S) server with users,
// tokens, organisations, teams and repositories, rate limits, fault
// injection, request counting and an injectable clock. Its behaviour
// follows shared/reference/forges.md §3 and §5.2; each handler's comment
// cites the section it reproduces.
//
//	clock := ghtest.NewClock(time.Unix(1_900_000_000, 0))
//	gh := ghtest.New(t, ghtest.Options{Enterprise: true, Now: clock.Now})
//	gh.AddUser(ghtest.User{Login: "alice"})
//	gh.AddOrg("acme")
//	gh.AddTeam("acme", "writers", "alice")
//	gh.AddRepo("acme/app", true)
//	gh.GrantTeam("acme/app", "acme/writers", ghtest.RoleWrite)
//	tok := gh.Classic("alice", "write:packages", "read:org", "repo")
//	// base_url: gh.URL (Enterprise mode: API at gh.URL + "/api/v3")
//	if n := gh.Count(ghtest.EndpointUser); n != 1 { … }
//
// # What the fake serves
//
// GET /user, /user/orgs, /user/teams, /repos/{owner}/{repo},
// /repositories/{id} and /rate_limit, under /api/v3 in Enterprise mode
// (nothing outside it), and 404 for anything else. For every request, in
// order:
//
//  1. It is recorded (Count, CountRepo, CountToken, Requests) and the
//     current Fault applies (SetFault, SetFaultFor): slow, 500, 502, 503,
//     504, a reset connection, truncated or oversized JSON, or a secondary
//     rate limit (403 with or without retry-after, or 429).
//  2. No User-Agent: 403 (§3.1).
//  3. Authorization "Bearer T" or "token T"; Basic login:password in
//     Enterprise mode only (§3.1). Unknown, revoked or expired tokens are
//     401 {"message":"Bad credentials",…} (§3.2) — after the rate limit
//     is counted, against the caller's IP.
//  4. The primary rate limit, per user (5,000 an hour by default, none in
//     Enterprise mode unless set) or per IP without a token (60): every
//     answer carries x-ratelimit-limit, -remaining, -used, -reset and
//     -resource; a request over it gets 403 (or 429, Options.LimitStatus)
//     with x-ratelimit-remaining: 0 until the window resets (§3.6).
//  5. Classic (ghp_) and OAuth (gho_) tokens get X-OAuth-Scopes,
//     normalized as GitHub does (implied scopes dropped), even when empty;
//     fine-grained (github_pat_) and App (ghu_) tokens get none (§3.3).
//     Expiring tokens get GitHub-Authentication-Token-Expiration (§3.1).
//  6. /user/orgs needs user or read:org from classic tokens (else 403 with
//     X-Accepted-OAuth-Scopes) and is [] for fine-grained tokens;
//     /user/teams needs user, repo or read:org and shows a fine-grained
//     token its resource owner's teams only (§3.4). Both paginate with
//     per_page (default 30, at most 100), page and an absolute Link header
//     (next, last, first, prev). Organisations enforcing SAML that the
//     token is not authorized for are left out, with X-GitHub-SSO:
//     partial-results (§3.2).
//  7. /repos/{owner}/{repo}: names case-insensitive, full_name as stored;
//     a private repository needs a role and a token that reaches it (repo
//     scope; a fine-grained token's owner and selection), else 404 as for
//     a missing one; an old path after RenameRepo or RenameUser answers
//     301 with Location /repositories/{id}; a SAML organisation's private
//     repository answers 403 with X-GitHub-SSO: required to a token not
//     authorized for it; the permissions object (admin, maintain, push,
//     triage, pull) follows the highest direct or team role (§3.5).
//
// # What it does not reproduce
//
// GitHub's failed-login lockout (§3.2), conditional requests and ETags,
// GraphQL, org base permissions, outside collaborators, custom roles,
// GitHub App installations, and any write endpoint. What the REST API
// answers a suspended Enterprise Server user is undocumented (forges.md
// §7); the fake answers /user with suspended_at set and does not refuse
// the user elsewhere.
package ghtest
