package providers

import (
	"context"
	"time"
)

// Permission is a forge's access level on one repository, as the forge
// itself reports it to the credential's owner.
type Permission uint8

// Permission levels, weakest first. The policy maps them to registry
// actions: read → pull; write → pull, push; admin → pull, push, delete.
const (
	// PermissionNone: no access, a repository that does not exist, or one
	// the credential cannot see (forges answer these alike, by design).
	PermissionNone Permission = iota
	// PermissionRead: the forge lets the user read (clone) the repository.
	PermissionRead
	// PermissionWrite: the forge lets the user push to the repository.
	PermissionWrite
	// PermissionAdmin: the user administers the repository.
	PermissionAdmin
)

var permissionNames = [...]string{"none", "read", "write", "admin"}

// String returns "none", "read", "write" or "admin".
func (p Permission) String() string {
	if int(p) < len(permissionNames) {
		return permissionNames[p]
	}
	return "none"
}

// ParsePermission reads "none", "read", "write" or "admin".
func ParsePermission(s string) (Permission, bool) {
	for i, n := range permissionNames {
		if s == n {
			return Permission(i), true
		}
	}
	return PermissionNone, false
}

// RepositoryPermissioner is implemented by forge providers. The bridge asks
// it only about forge repositories that a policy entry mirroring forge
// permissions names for a requested scope, caches each answer per
// (credential, repository) for a bounded time with one call in flight per
// key, and hands the answers to the policy in Identity.Repositories.
//
// RepositoryPermission MUST send the credential only to the provider's own
// forge base URL, MUST NOT follow redirects (a moved repository is
// PermissionNone), and MUST answer PermissionNone with a nil error for a
// repository the forge reports as missing or invisible. It returns an error
// wrapping ErrUnavailable when the forge gave no definite answer (outage,
// timeout, rate limit) and ErrInvalidCredential when the forge refused the
// credential itself (revoked since login).
//
// PermissionTTL bounds how long the bridge reuses one answer (the
// provider's `permission_ttl`): a permission the forge withdraws stops
// granting within it.
type RepositoryPermissioner interface {
	RepositoryPermission(ctx context.Context, cred Credential, id Identity, repo string) (Permission, error)
	PermissionTTL() time.Duration
}
