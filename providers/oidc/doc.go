// Package oidc verifies OpenID Connect ID tokens from declared issuers: CI
// jobs (GitHub Actions, GitLab CI, Forgejo Actions, Buildkite, CircleCI),
// Kubernetes service accounts and any OIDC provider. A token is the docker
// password; no secret is stored.
//
// One [Provider] serves exactly one issuer. The bridge routes a token to it by
// the exact unverified `iss`; the provider then checks, in this order and
// before any key is fetched: a strict compact-JWS syntax (size cap, unpadded
// base64url, UTF-8 JSON without duplicate members or deep nesting), the
// header (algorithm allow-list from configuration only, never `none` or
// HMAC; `jku`, `x5u`, `jwk`, `x5c`, `crit` refused; `typ` absent or JWT), the
// token kind (no access-token, sender-constrained or registry-token claims),
// the audience (one of the configured audiences), and the times (`exp`,
// `nbf`, `iat` with a small skew, `iat` bounded by max_token_age). Only then
// does it look up the key by `kid` and verify the signature with go-oidc.
//
// Keys come inline, from an explicit jwks_uri, or from discovery, whose
// jwks_uri must share the issuer's origin. They are fetched lazily with no
// redirects, a timeout and a capped body; an unknown kid triggers at most one
// fetch per refresh_cooldown; a failed fetch keeps the previous keys; an
// empty key set is never kept. Until the first fetch succeeds the issuer
// answers ErrUnavailable, and New never does network I/O.
//
// Presets map each issuer family's claims to an identity: the subject is an
// immutable id, every verified claim is exposed to the policy, and the
// normalized claim [ClaimUntrustedTrigger] marks jobs started from outside
// the repository's trust boundary.
package oidc
