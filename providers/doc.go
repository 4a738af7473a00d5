// Package providers is the contract between the token endpoint and the
// adapters that check what clients present.
//
// An adapter (a sub-package such as providers/static or providers/oidc)
// implements [Provider]: it receives a [Credential], checks it against its
// upstream or its local data, and returns an [Identity] or an error wrapping
// one of the sentinel errors below. The bridge package routes each credential
// to exactly one provider (see [Route]), caches results, applies the policy and
// mints the registry token; adapters never see the policy and never mint.
//
// This package imports the standard library only.
package providers
