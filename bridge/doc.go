// Package bridge is regbridge's HTTP side: it parses token requests the way
// real registry clients send them, routes each credential to exactly one
// provider (RouteTable), caches provider answers, asks the policy for a
// decision, has the registry JWT minted and maps errors to HTTP (classify,
// in errors.go, is the one mapping from an error kind to a response).
//
// Keys, header forms, minting and refresh-token sealing are package
// bridge/signing; bridge owns what a token says (the service, the granted
// scopes, the refresh-token format) and signing how it is signed.
//
// bridge depends on the providers contract, on acl and on bridge/signing; it
// never imports a concrete provider. The wiring of concrete providers lives
// in cmd/regbridge.
package bridge
