// Package authtest is a fake OAuth authorization server and DPoP client for
// tests of regbridge packages. It serves discovery, a JWKS and an RFC 7662
// introspection endpoint with client authentication on loopback, mints JWT
// access tokens (plain, DPoP-bound with cnf.jkt, or mTLS-bound with
// cnf.x5t#S256) and opaque tokens, mints DPoP proofs, injects faults and
// counts requests. Every key is generated at run time.
//
// It is test tooling: nothing in it is hardened for production use.
package authtest
