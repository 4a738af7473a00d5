// Package srhttest is a faithful fake meta.sr.ht for tests: a loopback HTTP
// server with core-go's bearer-token auth middleware (2023, as described in
// shared/reference/sourcehut.md §2), a subset of meta's GraphQL API, fault
// injection, request counting and an injectable clock. It also mints tokens
// with the public core-go test key, reproducing the reference vectors.
//
// Start one per test; it is closed when the test ends:
//
//	clock := srhttest.NewClock(time.Unix(1_900_000_000, 0))
//	meta := srhttest.New(t, srhttest.Options{Now: clock.Now}) // user "jdoe"
//	tok := meta.MintBuilds("jdoe", "registry.example.com/REGISTRY:RW", 45*time.Minute)
//	// configure meta_url: meta.URL, and providers.Deps{Now: clock.Now}
//	... docker login -u sourcehut -p tok ...
//	if n := meta.CountToken(tok); n != 1 { t.Errorf("meta saw %d requests", n) }
//
// Outside a test (the fakemeta command), use Start and Close.
//
// # What the fake does, in order, for a request to a /query path
//
//  1. Records it (Count, CountToken, Requests) and applies the current Fault
//     (SetFault): slow, 502/503/504 HTML, 500, 429, 200 HTML/empty/truncated,
//     302, connection reset, or the unauthenticated api-meta document.
//  2. Serves /query/metrics and /query/api-meta.json without authentication
//     (like meta, so a meta_url pointing there answers 200 without checking
//     the token).
//  3. A `sr.ht.unified-login.v1` cookie takes the cookie path: 403.
//  4. No Authorization header: 401. No space in it, or a scheme other than
//     bearer (case-insensitive): 400 "Invalid Authorization header".
//  5. A value matching neither ^[0-9a-zA-Z_+/]{33,}$ nor ^[0-9a-f]{32}$: 400
//     "Invalid OAuth bearer token". Legacy 32-hex tokens: 403.
//  6. Decoding like core-go: NON-STRICT base64 (non-canonical encodings
//     pass), more than 32 bytes, HMAC, lenient BARE (trailing bytes
//     ignored), version 0, expired when now > Expires: else 403 "Invalid or
//     expired OAuth 2.0 bearer token".
//  7. User and revocation lookups: unknown user or FailLookups → 500
//     "Temporary error; try again later"; token revoked (Revoke, keyed by the
//     sha512 hex of the raw string) or client revoked (RevokeClient) → 403.
//  8. Suspended user (Suspend) → 403 "Account suspended with the following
//     notice: <notice>\nContact support".
//  9. Grants core-go cannot split (an element without exactly one "/") →
//     500, or a dropped connection with Options.HangUpOnMalformedGrants.
//  10. GraphQL: `{ version { major minor patch } }` → 200 with data.version
//     0.0.0; `{ me { id username canonicalName } }` → allowed for grants ""
//     or meta.sr.ht/PROFILE, else 200 with "Access denied for invalid auth
//     method" and "data":null; a non-JSON content type → 400 "transport not
//     supported"; a bad JSON body → 400 "json body could not be decoded";
//     unknown fields or syntax → 422.
//
// Every authentication error has Content-Type application/json and the body
// {"errors":[{"message":"Authentication error: <reason>"}]} with no "data".
package srhttest
