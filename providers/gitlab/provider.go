package gitlab

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/internal/forgeapi"
)

// maxTokenLength refuses longer passwords before any network I/O. GitLab
// PATs are about 50 bytes, OAuth access tokens 64.
const maxTokenLength = 1024

// maxPerPage is GitLab's page size limit; listings ask for full pages.
const maxPerPage = 100

// Provider accepts GitLab personal access tokens and OAuth access tokens as
// Basic passwords and mirrors project permissions.
type Provider struct {
	id  string
	cfg Config
	api *forgeapi.Client // <base_url>/api/v4
	web *forgeapi.Client // <base_url>, for /oauth/token/info
	now func() time.Time
	log *slog.Logger
}

var (
	_ providers.Provider               = (*Provider)(nil)
	_ providers.Router                 = (*Provider)(nil)
	_ providers.Describer              = (*Provider)(nil)
	_ providers.RepositoryPermissioner = (*Provider)(nil)
)

// New returns a provider for cfg. It does no network I/O.
func New(id string, cfg Config, deps providers.Deps) (*Provider, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("gitlab: provider %q: %w", id, err)
	}
	cfg = cfg.withDefaults()
	opts := forgeapi.Options{HTTPClient: deps.HTTPClient, Timeout: cfg.Timeout, AllowInsecureHTTP: deps.AllowInsecureHTTP}
	opts.BaseURL = cfg.BaseURL + APIPath
	api, err := forgeapi.New(opts)
	if err != nil {
		return nil, fmt.Errorf("gitlab: provider %q: base_url: %w", id, err)
	}
	opts.BaseURL = cfg.BaseURL
	web, err := forgeapi.New(opts)
	if err != nil {
		return nil, fmt.Errorf("gitlab: provider %q: base_url: %w", id, err)
	}
	p := &Provider{id: id, cfg: cfg, api: api, web: web, now: forgeapi.Clock(deps), log: forgeapi.Logger(deps)}
	return p, nil
}

// PermissionTTL is permission_ttl: how long the bridge reuses one answer
// of RepositoryPermission.
func (p *Provider) PermissionTTL() time.Duration { return p.cfg.PermissionTTL }

// tokenFacts is what the token's own endpoint said.
type tokenFacts struct {
	kind   string
	userID int64
	scopes []string
	expiry time.Time
}

// Authenticate checks the token locally (scheme, length, characters), then
// asks GitLab: the token's scopes (personal_access_tokens/self, or
// /oauth/token/info when GitLab says it is not a PAT), then the user
// (/user), then the groups (/groups, paginated). A token without read_api
// or api, or without a registry scope, is refused before /user is called.
func (p *Provider) Authenticate(ctx context.Context, cred providers.Credential) (providers.Identity, error) {
	tok := cred.Secret.Reveal()
	if err := checkToken(cred.Scheme, tok); err != nil {
		return providers.Identity{}, err
	}
	auth := forgeapi.Auth{Token: cred.Secret}
	start := time.Now()
	id, err := p.authenticate(ctx, auth)
	err = withRetryHint(err)
	p.log.DebugContext(ctx, "gitlab token check",
		slog.String("token_hash", tokenHashPrefix(tok)),
		slog.String("basic_username", cred.Username),
		slog.Duration("took", time.Since(start)),
		slog.Bool("accepted", err == nil))
	return id, err
}

func (p *Provider) authenticate(ctx context.Context, auth forgeapi.Auth) (providers.Identity, error) {
	tf, err := p.tokenFacts(ctx, auth)
	if err != nil {
		return providers.Identity{}, err
	}
	if err := checkAPIAccess(tf.scopes); err != nil {
		return providers.Identity{}, err
	}
	maxActions, err := MaxActions(tf.scopes, p.cfg.AllowUnscopedTokens)
	if err != nil {
		return providers.Identity{}, err
	}
	now := p.now()
	if !tf.expiry.IsZero() && !now.Before(tf.expiry) {
		return providers.Identity{}, fmt.Errorf("gitlab: authenticate: token expired at %s: %w", tf.expiry.Format(time.RFC3339), providers.ErrInvalidCredential)
	}
	u, err := p.currentUser(ctx, auth)
	if err != nil {
		return providers.Identity{}, err
	}
	if u.ID != tf.userID {
		return providers.Identity{}, fmt.Errorf("gitlab: authenticate: /user is user %d but the token belongs to user %d: %w", u.ID, tf.userID, providers.ErrInvalidCredential)
	}
	groups, err := p.groups(ctx, auth)
	if err != nil {
		return providers.Identity{}, err
	}
	return providers.Identity{
		Subject:    strconv.FormatInt(u.ID, 10),
		Username:   u.Username,
		Groups:     groups,
		Grants:     append([]string(nil), tf.scopes...),
		MaxActions: maxActions,
		Expiry:     tf.expiry,
		Claims: map[string]any{
			forgeapi.ClaimLogin:         u.Username,
			forgeapi.ClaimID:            json.Number(strconv.FormatInt(u.ID, 10)),
			forgeapi.ClaimEmail:         u.Email,
			forgeapi.ClaimEmailVerified: u.ConfirmedAt != nil && u.Email != "",
			forgeapi.ClaimIsAdmin:       u.IsAdmin,
			ClaimState:                  u.State,
			ClaimBot:                    u.Bot,
			ClaimExternal:               u.External,
			ClaimTwoFactorEnabled:       u.TwoFactorEnabled,
			ClaimTokenKind:              tf.kind,
		},
	}, nil
}

// tokenFacts asks personal_access_tokens/self (any scope, PATs only); a 400
// there means "not a personal access token", and /oauth/token/info is
// asked instead.
func (p *Provider) tokenFacts(ctx context.Context, auth forgeapi.Auth) (tokenFacts, error) {
	r, err := p.api.Get(ctx, auth, "/personal_access_tokens/self", nil)
	if err != nil {
		return tokenFacts{}, fmt.Errorf("gitlab: token: %w", err)
	}
	switch r.Status {
	case http.StatusOK:
		t, expiry, err := ParseTokenSelf(r.Body)
		if err != nil {
			return tokenFacts{}, forgeapi.Unavailable(0, fmt.Errorf("gitlab: %w", err))
		}
		if why := t.Refused(); why != "" {
			return tokenFacts{}, fmt.Errorf("gitlab: token: %s: %w", why, providers.ErrInvalidCredential)
		}
		return tokenFacts{kind: "personal_access_token", userID: t.UserID, scopes: t.Scopes, expiry: expiry}, nil
	case http.StatusBadRequest:
		return p.oauthFacts(ctx, auth)
	}
	return tokenFacts{}, classify("token", r, p.now())
}

func (p *Provider) oauthFacts(ctx context.Context, auth forgeapi.Auth) (tokenFacts, error) {
	r, err := p.web.Get(ctx, auth, "/oauth/token/info", nil)
	if err != nil {
		return tokenFacts{}, fmt.Errorf("gitlab: oauth token info: %w", err)
	}
	if r.Status != http.StatusOK {
		return tokenFacts{}, classify("oauth token info", r, p.now())
	}
	t, err := ParseTokenInfo(r.Body)
	if err != nil {
		return tokenFacts{}, forgeapi.Unavailable(0, fmt.Errorf("gitlab: %w", err))
	}
	tf := tokenFacts{kind: "oauth", userID: t.ResourceOwnerID, scopes: t.Scope}
	if t.ExpiresIn != nil {
		tf.expiry = p.now().Add(time.Duration(*t.ExpiresIn) * time.Second)
	}
	return tf, nil
}

// currentUser asks /user. Only an active user is accepted; GitLab already
// refuses blocked, deactivated and pending accounts with 403.
func (p *Provider) currentUser(ctx context.Context, auth forgeapi.Auth) (User, error) {
	r, err := p.api.Get(ctx, auth, "/user", nil)
	if err != nil {
		return User{}, fmt.Errorf("gitlab: user: %w", err)
	}
	if r.Status != http.StatusOK {
		return User{}, classify("user", r, p.now())
	}
	u, err := ParseUser(r.Body)
	if err != nil {
		return User{}, forgeapi.Unavailable(0, fmt.Errorf("gitlab: %w", err))
	}
	if u.State != "active" {
		return User{}, fmt.Errorf("gitlab: user %d is %q: %w", u.ID, clean(u.State), providers.ErrInvalidCredential)
	}
	return u, nil
}

// withRetryHint gives an unavailable answer without a retry hint (a
// transport error, a timeout, an unreadable answer) the default hint.
func withRetryHint(err error) error {
	var ue *providers.UnavailableError
	if errors.As(err, &ue) && ue.RetryAfter <= 0 {
		ue.RetryAfter = forgeapi.DefaultRetryAfter
	}
	return err
}

// checkToken refuses, without network I/O, what no GitLab token looks like.
func checkToken(scheme providers.Scheme, tok string) error {
	switch {
	case scheme != providers.SchemeBasic:
		return fmt.Errorf("gitlab: authenticate: %q credentials are not accepted: %w", scheme, providers.ErrInvalidCredential)
	case tok == "":
		return fmt.Errorf("gitlab: authenticate: empty token: %w", providers.ErrInvalidCredential)
	case len(tok) > maxTokenLength:
		return fmt.Errorf("gitlab: authenticate: token of %d bytes is longer than %d: %w", len(tok), maxTokenLength, providers.ErrInvalidCredential)
	}
	for i := 0; i < len(tok); i++ {
		if c := tok[i]; c <= 0x20 || c >= 0x7f {
			return fmt.Errorf("gitlab: authenticate: token has a character outside printable ASCII: %w", providers.ErrInvalidCredential)
		}
	}
	return nil
}

// tokenHashPrefix identifies a token in logs without revealing it.
func tokenHashPrefix(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:6])
}
