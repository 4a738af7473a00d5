package providers

// ClaimKeeper is a provider that reads claims of an identity after the
// bridge's credential cache answered: a BindingChecker's cnf or jti, a
// RepositoryPermissioner's note of how the credential was presented. The
// bridge keeps a cached identity's claims only when the policy names them
// or a ClaimKeeper does; every other claim is dropped before the identity
// is cached.
type ClaimKeeper interface {
	KeptClaims() []string
}
