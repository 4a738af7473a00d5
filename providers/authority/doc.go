// Package authority checks OAuth 2.0 access tokens ("OpToks") issued by one
// authorization server: locally as RFC 9068 JWTs against the server's JWKS,
// by RFC 7662 introspection, or both; with exact-token scope matching, a
// client_id allow-list, custom claims lifted from a nested object, and
// sender constraints — DPoP (RFC 9449, package dpop) and mutual-TLS
// certificate binding (RFC 8705).
//
// Authenticate does the cacheable part (signature or introspection, issuer,
// audience, times, scopes, client, claims). CheckBinding does the
// per-request part (DPoP proof, client certificate, downgrade refusal) and
// MUST be called on every request, including those answered from a cache:
// the bridge does so through providers.BindingChecker.
package authority
