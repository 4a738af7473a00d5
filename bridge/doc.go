// Package bridge is regbridge's HTTP side: it parses token requests the way
// real registry clients send them, routes each credential to exactly one
// provider, caches provider answers, asks the policy for a decision, mints the
// registry JWT and maps errors to HTTP.
//
// bridge depends on the providers contract and on acl; it never imports a
// concrete provider. The wiring of concrete providers lives in cmd/regbridge.
package bridge
