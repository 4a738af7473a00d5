// Package dpop verifies DPoP proofs (RFC 9449) at a resource server or a
// token endpoint.
//
// A [Verifier] implements every step of the proof check: exactly one
// compact-serialized proof, `typ` dpop+jwt, an asymmetric algorithm from a
// local allow-list, a public `jwk` of adequate strength that is the only key
// source, the signature, typed claims, `htm`, `htu` compared after RFC 3986
// normalization against a URL the caller builds from configuration (never
// from the Host header), an optional server nonce, an `iat` window, `jti`
// replay detection keyed by (key thumbprint, htu, jti), `ath` for a presented
// access token, and the RFC 7638 thumbprint for a `cnf.jkt` binding.
//
// Errors are *[Error] values carrying the OAuth error code
// (invalid_dpop_proof or use_dpop_nonce) for the WWW-Authenticate challenge.
package dpop
