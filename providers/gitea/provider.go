package gitea

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/internal/forgeapi"
)

// Provider accepts Gitea (or Forgejo) access tokens as Basic passwords.
type Provider struct {
	id  string
	typ string
	cfg Config
	api *forgeapi.Client
	now func() time.Time
	log *slog.Logger
}

var (
	_ providers.Provider               = (*Provider)(nil)
	_ providers.Router                 = (*Provider)(nil)
	_ providers.Describer              = (*Provider)(nil)
	_ providers.RepositoryPermissioner = (*Provider)(nil)
)

// New returns a `type: gitea` provider for cfg. It does no network I/O.
func New(id string, cfg Config, deps providers.Deps) (*Provider, error) {
	return build("gitea", id, cfg, deps)
}

// NewForgejo returns a `type: forgejo` provider: the same code, Forgejo
// speaking Gitea's API. Its tokens never show their scope list, so their
// cap follows the package probe (see the package documentation).
func NewForgejo(id string, cfg Config, deps providers.Deps) (*Provider, error) {
	return build("forgejo", id, cfg, deps)
}

func build(typ, id string, cfg Config, deps providers.Deps) (*Provider, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("gitea: provider %q: %w", id, err)
	}
	cfg.Common = cfg.Common.WithDefaults()
	client := deps.HTTPClient
	if client != nil {
		cp := *client
		cp.Jar = nil // a session cookie would switch Gitea to cookie auth
		client = &cp
	}
	api, err := forgeapi.New(forgeapi.Options{
		BaseURL:           apiURL(cfg.BaseURL),
		HTTPClient:        client,
		Timeout:           cfg.Timeout,
		AllowInsecureHTTP: deps.AllowInsecureHTTP,
	})
	if err != nil {
		return nil, fmt.Errorf("gitea: provider %q: base_url: %w", id, err)
	}
	p := &Provider{id: id, typ: typ, cfg: cfg, api: api, now: forgeapi.Clock(deps), log: forgeapi.Logger(deps)}
	return p, nil
}

// PermissionTTL is permission_ttl: how long the bridge reuses one answer
// of RepositoryPermission.
func (p *Provider) PermissionTTL() time.Duration { return p.cfg.PermissionTTL }

// Authenticate checks the secret with the forge: GET /user, the scope
// probes, GET /user/emails, and the organisation and team lists.
func (p *Provider) Authenticate(ctx context.Context, cred providers.Credential) (providers.Identity, error) {
	if err := checkSecret(cred); err != nil {
		return providers.Identity{}, fmt.Errorf("gitea: authenticate: %w", err)
	}
	auth := forgeapi.Auth{Token: cred.Secret, TokenType: "token"}
	user, err := p.user(ctx, auth)
	kind := "token"
	if err != nil && p.cfg.AllowPasswords && errors.Is(err, errUnknownToken) {
		if user, err = p.passwordUser(ctx, cred); err == nil {
			auth, kind = basicAuth(cred), "password"
		}
	}
	if err != nil {
		return providers.Identity{}, err
	}
	scopes := Scopes{List: []string{"all"}, Known: true}
	if kind == "token" {
		if scopes, err = p.learnScopes(ctx, auth, user.Login); err != nil {
			return providers.Identity{}, err
		}
		if err := scopes.refuse(); err != nil {
			return providers.Identity{}, err
		}
	}
	maxActions := scopes.Cap(p.cfg.AssumePackageWrite)
	if maxActions == nil {
		if !p.cfg.AllowUnscopedTokens {
			return providers.Identity{}, fmt.Errorf("gitea: authenticate: the token has no package scope (read:package or write:package): %w", providers.ErrInvalidCredential)
		}
		maxActions = []string{"pull"}
	}
	verified, err := p.emailVerified(ctx, auth, user.Email)
	if err != nil {
		return providers.Identity{}, err
	}
	groups, err := p.groups(ctx, auth)
	if err != nil {
		return providers.Identity{}, err
	}
	grants := scopes.grants()
	if kind == "password" {
		grants = nil
	}
	return providers.Identity{
		Subject:    strconv.FormatInt(user.ID, 10),
		Username:   user.Login,
		Groups:     groups,
		Grants:     grants,
		MaxActions: maxActions,
		Claims: map[string]any{
			forgeapi.ClaimLogin:         user.Login,
			forgeapi.ClaimID:            json.Number(strconv.FormatInt(user.ID, 10)),
			forgeapi.ClaimEmail:         user.Email,
			forgeapi.ClaimEmailVerified: verified,
			forgeapi.ClaimIsAdmin:       user.IsAdmin,
			ClaimRestricted:             user.Restricted,
			ClaimVisibility:             user.Visibility,
			ClaimActive:                 true,
			ClaimProhibitLogin:          false,
			ClaimCredential:             kind,
		},
	}, nil
}

// checkSecret refuses, before any network I/O, what cannot be a Gitea
// token or password.
func checkSecret(cred providers.Credential) error {
	s := cred.Secret.Reveal()
	switch {
	case cred.Scheme != providers.SchemeBasic:
		return fmt.Errorf("%q credentials are not accepted: %w", cred.Scheme, providers.ErrInvalidCredential)
	case s == "":
		return fmt.Errorf("empty password: %w", providers.ErrInvalidCredential)
	case len(s) > maxSecretLength:
		return fmt.Errorf("password of %d bytes is longer than %d: %w", len(s), maxSecretLength, providers.ErrInvalidCredential)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= 0x20 || c >= 0x7f {
			return fmt.Errorf("password has a space, control or non-ASCII byte: %w", providers.ErrInvalidCredential)
		}
	}
	return nil
}

// user asks GET /user and checks the answer.
func (p *Provider) user(ctx context.Context, auth forgeapi.Auth) (User, error) {
	r, err := p.api.Get(ctx, auth, "/user", nil)
	if err != nil {
		return User{}, fmt.Errorf("gitea: GET /user: %w", err)
	}
	if r.Status != http.StatusOK {
		return User{}, ParseRefusal(r.Status, r.Header, r.Body).err("GET /user", r.Status, r.Header, p.now())
	}
	var u User
	if err := r.Decode(&u); err != nil {
		return User{}, forgeapi.Unavailable(0, fmt.Errorf("gitea: GET /user: %w", err))
	}
	if err := u.check(); err != nil {
		return User{}, fmt.Errorf("gitea: GET /user: %w: %w", err, providers.ErrInvalidCredential)
	}
	return u, nil
}

// passwordUser checks an account password (allow_passwords): Basic to
// GET /user, and the account must be the one the Basic username names.
// Gitea reads a Basic username as a token when the password is empty or
// "x-oauth-basic"; such passwords are refused so that the username cannot
// choose the identity.
func (p *Provider) passwordUser(ctx context.Context, cred providers.Credential) (User, error) {
	if cred.Secret.Reveal() == "x-oauth-basic" || !validName(cred.Username) {
		return User{}, fmt.Errorf("gitea: authenticate: not a token, and not a password login: %w", providers.ErrInvalidCredential)
	}
	u, err := p.user(ctx, basicAuth(cred))
	if err != nil {
		return User{}, err
	}
	if !strings.EqualFold(u.Login, cred.Username) {
		return User{}, fmt.Errorf("gitea: authenticate: password login as %q answered for %q: %w", cred.Username, u.Login, providers.ErrInvalidCredential)
	}
	return u, nil
}

func basicAuth(cred providers.Credential) forgeapi.Auth {
	return forgeapi.Auth{Username: cred.Username, Password: cred.Secret}
}

// emailVerified reads GET /user/emails for the primary email's flag.
func (p *Provider) emailVerified(ctx context.Context, auth forgeapi.Auth, email string) (bool, error) {
	r, err := p.api.Get(ctx, auth, "/user/emails", nil)
	if err != nil {
		return false, fmt.Errorf("gitea: GET /user/emails: %w", err)
	}
	if r.Status != http.StatusOK {
		return false, ParseRefusal(r.Status, r.Header, r.Body).err("GET /user/emails", r.Status, r.Header, p.now())
	}
	var list []Email
	if err := r.Decode(&list); err != nil {
		return false, forgeapi.Unavailable(0, fmt.Errorf("gitea: GET /user/emails: %w", err))
	}
	return primaryVerified(email, list), nil
}
