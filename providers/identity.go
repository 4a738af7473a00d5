package providers

import "time"

// Identity is the verified result of Authenticate: plain data that the policy
// decides on.
type Identity struct {
	// Provider is the configured id of the provider that verified the
	// credential. The bridge sets it; adapters may leave it empty.
	Provider string
	// Anonymous marks the identity of a request that presented no credential.
	Anonymous bool
	// Subject is stable and unique within the provider (an immutable numeric
	// id where the issuer has one). It becomes the token's `sub`.
	Subject string
	// Username is a human-readable name (may change over time).
	Username string
	// Groups are group names from the provider.
	Groups []string
	// Grants are upstream grant strings (sourcehut grants, OAuth scopes).
	Grants []string
	// Claims are verified claims, as decoded from JSON (string, float64 or
	// json.Number, bool, []any, map[string]any).
	Claims map[string]any
	// MaxActions, when non-nil, caps every granted scope at these actions
	// (for example a read-only upstream grant caps at "pull"). The policy can
	// only narrow it.
	MaxActions []string
	// Repositories holds a forge's permission on each forge repository that
	// the policy asked about for this request ("org/app" → write). The
	// bridge fills it just before the decision from the provider's
	// RepositoryPermissioner, so the decision stays a pure function of plain
	// data; inline policy tests state it directly. A repository that is not
	// in the map has no access.
	Repositories map[string]Permission
	// Expiry is when the credential stops being valid. Zero means no expiry.
	// Issued registry tokens never outlive it.
	Expiry time.Time
}
