// Package acl holds the registry scope grammar and the policy language: the
// policy file, its validation and lints, inline tests, and the decision that
// turns an identity and requested scopes into granted access.
//
// A decision is a pure function of the identity, the service, the requested
// scopes and the loaded policy: no I/O, no clock.
package acl
