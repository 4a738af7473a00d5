package github

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/internal/forgeapi"
)

// APIVersion is the REST API version every request asks for
// (X-GitHub-Api-Version, forges.md §3.1).
const APIVersion = "2022-11-28"

// Claims set on every identity, besides forgeapi.ClaimLogin (the login, as
// GitHub spells it), forgeapi.ClaimID (the numeric user id, as a decimal
// string) and forgeapi.ClaimIsAdmin (GitHub's site_admin).
const (
	ClaimSiteAdmin = "site_admin" // bool, the same as is_admin
	ClaimType      = "type"       // "User", "Bot", …
	ClaimTokenType = "token_type" // TokenClassic, TokenFineGrained, …
)

// Provider accepts GitHub tokens (and, on GitHub Enterprise Server with
// allow_passwords, account passwords) as Basic passwords.
type Provider struct {
	id  string
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

// New returns a provider for cfg. It does no network I/O.
func New(id string, cfg Config, deps providers.Deps) (*Provider, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("github: provider %q: %w", id, err)
	}
	cfg.Common = cfg.Common.WithDefaults()
	hc := &http.Client{}
	if deps.HTTPClient != nil {
		*hc = *deps.HTTPClient
	}
	hc.Jar = nil
	hc.Transport = versionTransport{base: hc.Transport}
	api, err := forgeapi.New(forgeapi.Options{
		BaseURL:           cfg.APIURL(),
		HTTPClient:        hc,
		Timeout:           cfg.Timeout,
		AllowInsecureHTTP: deps.AllowInsecureHTTP,
	})
	if err != nil {
		return nil, fmt.Errorf("github: provider %q: base_url: %w", id, err)
	}
	return &Provider{id: id, cfg: cfg, api: api, now: forgeapi.Clock(deps), log: forgeapi.Logger(deps)}, nil
}

// versionTransport adds X-GitHub-Api-Version to every request.
type versionTransport struct{ base http.RoundTripper }

func (t versionTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-GitHub-Api-Version", APIVersion)
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(r)
}

// APIURL returns the API root the provider talks to.
func (p *Provider) APIURL() string { return p.api.BaseURL() }

// Route claims opaque Basic passwords under the configured usernames. The
// username only routes; the identity comes from GET /user.
func (p *Provider) Route() providers.Route {
	return forgeapi.Route(p.cfg.Usernames)
}

// PolicyFacts describes the identities this provider returns.
func (p *Provider) PolicyFacts() providers.PolicyFacts {
	return providers.PolicyFacts{
		Type:            "github",
		Claims:          []string{forgeapi.ClaimLogin, forgeapi.ClaimID, forgeapi.ClaimIsAdmin, ClaimSiteAdmin, ClaimType, ClaimTokenType},
		ImmutableClaims: []string{forgeapi.ClaimID},
		Forge:           true,
	}
}

// PermissionTTL is permission_ttl: how long the bridge reuses one answer
// of RepositoryPermission.
func (p *Provider) PermissionTTL() time.Duration { return p.cfg.PermissionTTL }

// credential turns a Basic password into how it is sent to GitHub. Tokens
// go as Bearer through the oauth2 transport; an account password (only
// with allow_passwords) as Basic with the Basic username. A secret that is
// neither a user access token nor, with allow_passwords, a password is
// refused without network I/O.
func (p *Provider) credential(cred providers.Credential) (forgeapi.Auth, string, error) {
	if cred.Scheme != providers.SchemeBasic {
		return forgeapi.Auth{}, "", fmt.Errorf("%q credentials are not accepted: %w", cred.Scheme, providers.ErrInvalidCredential)
	}
	secret := cred.Secret.Reveal()
	if typ := tokenType(secret); typ != "" {
		return forgeapi.Auth{Token: cred.Secret}, typ, nil
	}
	if p.cfg.AllowPasswords && secret != "" && len(secret) <= maxPasswordLength && cred.Username != "" {
		return forgeapi.Auth{Username: cred.Username, Password: cred.Secret}, TokenPassword, nil
	}
	return forgeapi.Auth{}, "", fmt.Errorf("the password is no GitHub user access token (ghp_, github_pat_, gho_, ghu_ or 40 hex digits): %w", providers.ErrInvalidCredential)
}

const maxPasswordLength = 1024

// Authenticate asks GitHub who the credential belongs to (GET /user), caps
// it by the token's scopes, and lists the user's organisations and teams.
// It makes no further calls for a credential it refuses.
func (p *Provider) Authenticate(ctx context.Context, cred providers.Credential) (providers.Identity, error) {
	auth, typ, err := p.credential(cred)
	if err != nil {
		return providers.Identity{}, fmt.Errorf("github: authenticate: %w", err)
	}
	resp, err := p.api.Get(ctx, auth, "/user", nil)
	if err != nil {
		return providers.Identity{}, fmt.Errorf("github: authenticate: %w", withHint(err))
	}
	if resp.Status != http.StatusOK {
		return providers.Identity{}, fmt.Errorf("github: authenticate: %w", p.refusal("GET /user", resp))
	}
	user, err := ParseUser(resp.Body)
	if err != nil {
		return providers.Identity{}, fmt.Errorf("github: authenticate: GET /user: %w", forgeapi.Unavailable(forgeapi.DefaultRetryAfter, err))
	}
	if user.Suspended {
		return providers.Identity{}, fmt.Errorf("github: authenticate: user %d (%s) is suspended: %w", user.ID, user.Login, providers.ErrInvalidCredential)
	}
	d, err := p.decide(typ, resp.Header)
	if err != nil {
		return providers.Identity{}, fmt.Errorf("github: authenticate: user %d (%s): %w", user.ID, user.Login, err)
	}
	groups, err := p.groups(ctx, auth)
	if err != nil {
		return providers.Identity{}, fmt.Errorf("github: authenticate: user %d (%s): %w", user.ID, user.Login, err)
	}
	id := strconv.FormatInt(user.ID, 10)
	return providers.Identity{
		Subject:    id,
		Username:   user.Login,
		Groups:     groups,
		Grants:     d.grants,
		MaxActions: d.maxActions,
		Expiry:     d.expiry,
		Claims: map[string]any{
			forgeapi.ClaimLogin:   user.Login,
			forgeapi.ClaimID:      id,
			forgeapi.ClaimIsAdmin: user.SiteAdmin,
			ClaimSiteAdmin:        user.SiteAdmin,
			ClaimType:             user.Type,
			ClaimTokenType:        typ,
		},
	}, nil
}

// decision is what the /user answer's headers say about the token.
type decision struct {
	grants     []string
	maxActions []string
	expiry     time.Time
}

// decide reads the token's scopes and expiry. A password has every scope.
// A token without a scope header (fine-grained personal access tokens and
// GitHub App user tokens, whose permissions GitHub does not tell the
// token, forges.md §3.3) is unscoped, like a classic token without a
// package scope: refused unless allow_unscoped_tokens, then capped at pull.
func (p *Provider) decide(typ string, h http.Header) (decision, error) {
	var d decision
	exp, err := ParseExpiry(h.Values("GitHub-Authentication-Token-Expiration"))
	if err != nil {
		return d, forgeapi.Unavailable(forgeapi.DefaultRetryAfter, err)
	}
	if !exp.IsZero() && !p.now().Before(exp) {
		return d, fmt.Errorf("token expired at %s: %w", exp.Format(time.RFC3339), providers.ErrInvalidCredential)
	}
	d.expiry = exp
	if typ == TokenPassword {
		d.maxActions = []string{"pull", "push", "delete"}
		return d, nil
	}
	scopes, present, err := ParseScopes(h.Values("X-OAuth-Scopes"))
	if err != nil {
		return d, forgeapi.Unavailable(forgeapi.DefaultRetryAfter, err)
	}
	d.grants = scopes
	if max, ok := scopeCap(scopes); ok {
		d.maxActions = max
		return d, nil
	}
	if !p.cfg.AllowUnscopedTokens {
		what := "no package scope (read:packages, write:packages, delete:packages)"
		if !present {
			what = "no scope GitHub reveals (a fine-grained or GitHub App token)"
		}
		return d, fmt.Errorf("%s token has %s and allow_unscoped_tokens is false: %w", typ, what, providers.ErrInvalidCredential)
	}
	d.maxActions = []string{"pull"}
	return d, nil
}

// groups lists the user's organisations ("org") and teams ("org/team"),
// lower-cased, sorted and without duplicates.
func (p *Provider) groups(ctx context.Context, auth forgeapi.Auth) ([]string, error) {
	var out []string
	for _, l := range []struct {
		path  string
		parse func([]byte) ([]string, error)
		needs string
	}{
		{"/user/orgs", ParseOrgs, "read:org (or user)"},
		{"/user/teams", ParseTeams, "read:org (or user or repo)"},
	} {
		op := "GET " + l.path
		err := p.api.Pages(ctx, auth, l.path, pageQuery(), p.cfg.MaxPages, func(r *forgeapi.Response) error {
			if r.Status != http.StatusOK {
				err := p.refusal(op, r)
				if r.Status == http.StatusForbidden && errors.Is(err, providers.ErrInvalidCredential) {
					return fmt.Errorf("%w (listing needs the scope %s)", err, l.needs)
				}
				return err
			}
			names, err := l.parse(r.Body)
			if err != nil {
				return forgeapi.Unavailable(forgeapi.DefaultRetryAfter, fmt.Errorf("%s: %w", op, err))
			}
			out = append(out, names...)
			return nil
		})
		if err != nil {
			err = withHint(err)
			if !errors.Is(err, providers.ErrUnavailable) && !errors.Is(err, providers.ErrInvalidCredential) {
				// forgeapi's page cap: the user is in more than max_pages pages.
				err = fmt.Errorf("%w (raise max_pages): %w", err, providers.ErrInvalidCredential)
			}
			return nil, err
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func pageQuery() url.Values { return url.Values{"per_page": {"100"}} }
