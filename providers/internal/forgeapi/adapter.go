package forgeapi

import (
	"log/slog"
	"time"

	"github.com/regbridge/regbridge/providers"
)

// Claim names that every forge adapter sets, so that one policy reads a
// Gitea, GitHub or GitLab identity alike.
const (
	// ClaimLogin is the forge login (it may change; the subject does not).
	ClaimLogin = "login"
	// ClaimID is the forge's immutable numeric user id, as a JSON number.
	ClaimID = "id"
	// ClaimEmail is the account's primary e-mail address, where visible.
	ClaimEmail = "email"
	// ClaimEmailVerified is true only when the forge says the address was
	// verified.
	ClaimEmailVerified = "email_verified"
	// ClaimIsAdmin is true for the forge's site administrators.
	ClaimIsAdmin = "is_admin"
)

// Route claims opaque Basic passwords under usernames. The username only
// routes: the identity always comes from the forge.
func Route(usernames []string) providers.Route {
	return providers.Route{Usernames: append([]string(nil), usernames...)}
}

// Clock returns deps.Now, or time.Now when it is unset.
func Clock(deps providers.Deps) func() time.Time {
	if deps.Now != nil {
		return deps.Now
	}
	return time.Now
}

// Logger returns deps.Logger, or a logger that discards when it is unset.
func Logger(deps providers.Deps) *slog.Logger {
	if deps.Logger != nil {
		return deps.Logger
	}
	return slog.New(slog.DiscardHandler)
}
