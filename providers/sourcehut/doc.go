// Package sourcehut is the regbridge provider for meta.sr.ht OAuth 2.0
// bearer tokens, above all the short-lived $OAUTH2_TOKEN of a builds.sr.ht
// job whose manifest says `oauth: registry.example.com/REGISTRY:RW`. The job
// runs `docker login -u sourcehut -p "$OAUTH2_TOKEN" registry.example.com`;
// the Basic username only routes the password here.
//
// Only meta.sr.ht can check a token's MAC, so every token is checked by one
// `POST {meta_url}/query` with the `version` query, sent byte for byte as
// the client presented it. Before that, everything that can be checked
// locally is: the length cap, the alphabet, strict canonical base64 (a
// non-canonical encoding of a revoked token would dodge meta's revocation
// lookup, which hashes the raw string), the exact BARE layout with no
// trailing bytes and version 0, the username, the expiry and the grants. A
// token refused locally is never sent anywhere.
//
// Grants are parsed strictly (see ParseGrants). Only grants for
// `<registry_domain>/REGISTRY` count, compared exactly: RO (or no access
// part) caps the identity at pull, RW at pull and push. Empty grants (all
// permissions) are accepted only from personal access tokens (no client
// id) and only with allow_personal_access_tokens.
//
// The identity is the token's username ("sourcehut:<username>"), its expiry
// is the token's, and its MaxActions carry the grant's cap. Outages of
// meta.sr.ht (timeouts, connection errors, redirects, 5xx, 429, HTML, empty
// or truncated answers) are providers.ErrUnavailable with a retry hint; a
// locally decoded but unverified token never yields an identity. The bridge
// caches results; CacheKey gives it the canonical key.
//
// The trust model matters for policies: a builds.sr.ht token is in the name
// of the job's owner, and anyone who can push to a CI-enabled repository of
// that user can obtain one. See docs/sourcehut.md.
package sourcehut
