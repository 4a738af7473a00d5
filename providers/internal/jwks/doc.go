// Package jwks is the verification key set of the adapters that check
// JWS-signed tokens from an issuer (oidc, authority): the shared key
// configuration (jwks_uri, jwks, algorithms), discovery of the JWKS URL,
// fetching through the upstream hygiene (timeouts, capped bodies, no
// redirects, https except on loopback), refresh with a cooldown, key
// rotation, and matching a token's kid and alg to candidate keys.
//
// Keys come inline (never fetched) or from the issuer: an explicit JWKS URL,
// or the jwks_uri of the issuer's discovery document, which must share the
// issuer's origin. Fetches happen on demand, one at a time, at most once per
// cooldown; a failed fetch keeps the previous keys, and keys a reload
// carries over (providers.KeySets) keep working while the issuer is away.
// Key sets are held under the document their keys are read from, and only
// a configuration reading the same document starts with them (carry.go).
// With a state directory, the last fetched keys of each document are kept
// in a file and read back at start, within a staleness bound (persist.go).
package jwks
