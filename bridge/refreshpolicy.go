package bridge

import (
	"errors"
	"fmt"
	"time"
)

// RefreshMode says what a refresh token keeps of the login.
type RefreshMode string

const (
	// RefreshIdentity keeps the verified identity (subject, username,
	// groups, grants, claims): for credentials that cannot be checked again
	// once they expire (OIDC ID tokens). Revocation is by the operator, or by
	// refresh_ttl plus the idle timeout.
	RefreshIdentity RefreshMode = "identity"
	// RefreshCredential keeps the upstream credential, encrypted inside the
	// token, and checks it with the provider again on every redemption
	// (within the credential cache TTL), so revoking it upstream stops the
	// refresh token.
	RefreshCredential RefreshMode = "credential"
)

// Refresh-token lifetimes.
const (
	// MaxRefreshTTL is the hard maximum of refresh_ttl.
	MaxRefreshTTL = 24 * time.Hour
	// DefaultRefreshTTL fits the longest job of a GitHub-hosted runner.
	DefaultRefreshTTL = 6 * time.Hour
	// DefaultRefreshIdle is the default idle timeout.
	DefaultRefreshIdle = time.Hour
	// MinRefreshIdle is the shortest idle timeout: a registry token lives at
	// least 60 s, so a client asks again no sooner.
	MinRefreshIdle = MinTokenTTL
)

// RefreshPolicy is one provider's `refresh:` entry. Refresh tokens are off
// unless Enabled.
type RefreshPolicy struct {
	// Enabled issues refresh tokens on login-shaped requests
	// (offline_token=true, access_type=offline).
	Enabled bool `yaml:"enabled"`
	// TTL is how long a refresh token may be redeemed after the login.
	TTL time.Duration `yaml:"refresh_ttl"`
	// Idle refuses a refresh token not redeemed for this long.
	Idle time.Duration `yaml:"idle_timeout"`
	// BindClientID refuses a redemption whose client_id differs from the
	// login's. Off by default: docker login obtains the token and crane,
	// oras and containerd redeem it under their own client_id.
	BindClientID bool `yaml:"bind_client_id"`
	// Mode is set by the wiring from the provider's credential kind.
	Mode RefreshMode `yaml:"-"`
}

// WithDefaults returns p with empty lifetimes set; ttl is the provider's
// default refresh_ttl.
func (p RefreshPolicy) WithDefaults(ttl time.Duration) RefreshPolicy {
	if p.TTL == 0 {
		p.TTL = ttl
		if p.TTL == 0 {
			p.TTL = DefaultRefreshTTL
		}
	}
	if p.Idle == 0 {
		p.Idle = min(DefaultRefreshIdle, p.TTL)
	}
	return p
}

// Validate reports every problem of p (after defaults).
func (p RefreshPolicy) Validate() error {
	var errs []error
	if p.TTL < MinTokenTTL || p.TTL > MaxRefreshTTL {
		errs = append(errs, fmt.Errorf("refresh_ttl: %s is outside %s…%s", p.TTL, MinTokenTTL, MaxRefreshTTL))
	}
	if p.Idle < MinRefreshIdle || p.Idle > p.TTL {
		errs = append(errs, fmt.Errorf("idle_timeout: %s is outside %s…refresh_ttl (%s)", p.Idle, MinRefreshIdle, p.TTL))
	}
	switch p.Mode {
	case RefreshIdentity, RefreshCredential:
	default:
		errs = append(errs, fmt.Errorf("mode %q is not identity or credential", p.Mode))
	}
	return errors.Join(errs...)
}
