package providers

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// Deps are what the wiring code hands every adapter's constructor. Nil fields
// get safe defaults from the adapter (its own hardened HTTP client, time.Now,
// a discarding logger, an in-memory replay store).
type Deps struct {
	// HTTPClient is used for upstream calls. Adapters MUST keep its redirect
	// refusal and timeouts when they wrap it.
	HTTPClient *http.Client
	// Now is the clock.
	Now func() time.Time
	// Logger is scoped to the provider.
	Logger *slog.Logger
	// Replay remembers single-use keys (DPoP jti, single-use ID tokens).
	Replay ReplayStore
	// KeySets, when set, carries the issuers' verification keys from the
	// providers of one configuration to those of the next; nil means every
	// provider starts with no fetched keys.
	KeySets KeySets
	// KeyStateDir, when set, is where key sets keep the last keys fetched
	// from each issuer, read back at start (state_dir).
	KeyStateDir string
	// MaxStaleKeys bounds the age of keys read back from KeyStateDir
	// (max_stale_keys; zero means the adapter's default).
	MaxStaleKeys time.Duration
	// AllowInsecureHTTP permits plain-http upstreams on any host. Only tests
	// and explicitly flagged local setups set it; loopback http is always
	// allowed.
	AllowInsecureHTTP bool
}

// ReplayStore remembers keys until they expire. It is shared between replicas
// when backed by Redis.
type ReplayStore interface {
	// Remember records key until the given time. It returns false when the
	// key was already recorded and has not expired: a replay.
	Remember(ctx context.Context, key string, until time.Time) (fresh bool, err error)
}

// PolicyFacts tells the policy linter what a provider's identities can carry.
type PolicyFacts struct {
	// Type is the provider type ("static", "sourcehut", "oidc", "authority",
	// "gitea", "github", "gitlab").
	Type string
	// Preset is the issuer preset of an OIDC provider ("github-actions", …).
	Preset string
	// Claims lists the claim names identities may carry. Nil means any name
	// may appear (generic issuers).
	Claims []string
	// SharedIssuer marks an issuer that many unrelated tenants share
	// (GitHub Actions, gitlab.com, Buildkite): an allow rule MUST pin one of
	// ImmutableClaims.
	SharedIssuer bool
	// ImmutableClaims are claims that identify a tenant for good (numeric
	// owner, namespace or project ids).
	ImmutableClaims []string
	// CI marks a CI issuer: push and delete grants need a condition on one of
	// TriggerClaims.
	CI bool
	// TriggerClaims are claims that say what started the job.
	TriggerClaims []string
	// Forge marks a provider that implements RepositoryPermissioner: only
	// its rules may mirror forge repository permissions.
	Forge bool
}

// Describer is implemented by providers that can tell the policy linter what
// their identities carry.
type Describer interface {
	PolicyFacts() PolicyFacts
}
