package sourcehut

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/upstream"
)

// Provider accepts meta.sr.ht OAuth 2.0 tokens (builds.sr.ht
// $OAUTH2_TOKEN, and optionally personal access tokens) as Basic passwords.
type Provider struct {
	id       string
	cfg      Config
	queryURL string
	client   *http.Client
	now      func() time.Time
	log      *slog.Logger
}

var (
	_ providers.Provider   = (*Provider)(nil)
	_ providers.Router     = (*Provider)(nil)
	_ providers.Describer  = (*Provider)(nil)
	_ providers.CacheKeyer = (*Provider)(nil)
)

// New returns a provider for cfg. It does no network I/O.
func New(id string, cfg Config, deps providers.Deps) (*Provider, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("sourcehut: provider %q: %w", id, err)
	}
	cfg = cfg.withDefaults()
	u, err := upstream.CheckURL(cfg.MetaURL, deps.AllowInsecureHTTP)
	if err != nil {
		return nil, fmt.Errorf("sourcehut: provider %q: meta_url: %w", id, err)
	}
	client := upstream.NoRedirects(deps.HTTPClient, cfg.Timeout)
	client.Jar = nil // never send cookies: a session cookie switches meta to cookie auth
	p := &Provider{
		id:       id,
		cfg:      cfg,
		queryURL: strings.TrimSuffix(u.String(), "/") + "/query",
		client:   client,
		now:      deps.Now,
		log:      deps.Logger,
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	return p, nil
}

// Route claims opaque Basic passwords under the configured usernames. The
// username is only a routing hint; the identity comes from the token.
func (p *Provider) Route() providers.Route {
	return providers.Route{Usernames: append([]string(nil), p.cfg.Usernames...)}
}

// PolicyFacts describes the identities this provider returns.
func (p *Provider) PolicyFacts() providers.PolicyFacts {
	return providers.PolicyFacts{Type: "sourcehut", Claims: []string{ClaimClientID, ClaimAllPermissions}}
}

// Claims set on every identity.
const (
	// ClaimClientID is the token's OAuth client UUID ("" for builds.sr.ht
	// job tokens and personal access tokens).
	ClaimClientID = "client_id"
	// ClaimAllPermissions is true for a personal access token with empty
	// grants (accepted only with allow_personal_access_tokens).
	ClaimAllPermissions = "all_permissions"
)

// CacheKey returns key material derived from the token's decoded bytes:
// strict decoding maps each accepted token to exactly one string, so two
// encodings of one token cannot have two cache entries. ok is false for a
// credential that Authenticate refuses without network I/O anyway.
func (p *Provider) CacheKey(cred providers.Credential) (string, bool) {
	tok := cred.Secret.Reveal()
	if cred.Scheme != providers.SchemeBasic || len(tok) > p.cfg.MaxTokenLength || !tokenAlphabet(tok) {
		return "", false
	}
	_, raw, err := DecodeToken(tok)
	if err != nil {
		return "", false
	}
	sum := sha256.Sum256(raw)
	return "sourcehut-bearer-v0:" + hex.EncodeToString(sum[:]), true
}

// Authenticate checks a token: first locally (length, alphabet, strict
// decoding, username, expiry, grants), so that a token this provider would
// refuse anyway is never sent anywhere; then by one call to meta.sr.ht, which
// alone can check the MAC; then the expiry again. It never returns an
// identity for a token meta did not accept.
func (p *Provider) Authenticate(ctx context.Context, cred providers.Credential) (providers.Identity, error) {
	tok := cred.Secret.Reveal()
	d, err := p.check(cred.Scheme, tok, p.now())
	if err != nil {
		return providers.Identity{}, fmt.Errorf("sourcehut: authenticate: %w", err)
	}
	start := time.Now()
	err = p.verify(ctx, tok)
	p.log.DebugContext(ctx, "meta.sr.ht token check",
		slog.String("token_hash", tokenHashPrefix(tok)),
		slog.String("basic_username", cred.Username),
		slog.Duration("took", time.Since(start)),
		slog.Bool("accepted", err == nil))
	if err != nil {
		return providers.Identity{}, err
	}
	if now := p.now(); now.After(d.token.Expires) {
		return providers.Identity{}, fmt.Errorf("sourcehut: authenticate: token expired at %s: %w",
			d.token.Expires.Format(time.RFC3339), providers.ErrInvalidCredential)
	}
	return providers.Identity{
		Subject:    "sourcehut:" + d.token.Username,
		Username:   d.token.Username,
		Grants:     d.grants,
		MaxActions: d.maxActions,
		Expiry:     d.token.Expires,
		Claims: map[string]any{
			ClaimClientID:       d.token.ClientID,
			ClaimAllPermissions: d.token.Grants == "",
		},
	}, nil
}

// decision is the outcome of the local checks.
type decision struct {
	token      Token
	grants     []string
	maxActions []string
}

// check runs every local check; it is pure given now.
func (p *Provider) check(scheme providers.Scheme, tok string, now time.Time) (decision, error) {
	invalid := func(format string, a ...any) (decision, error) {
		return decision{}, fmt.Errorf(format+": %w", append(a, providers.ErrInvalidCredential)...)
	}
	if scheme != providers.SchemeBasic {
		return invalid("%q credentials are not accepted", scheme)
	}
	switch {
	case tok == "":
		return invalid("empty token")
	case len(tok) > p.cfg.MaxTokenLength:
		return invalid("token of %d bytes exceeds max_token_length %d", len(tok), p.cfg.MaxTokenLength)
	case !tokenAlphabet(tok):
		return invalid("token has characters outside unpadded standard base64")
	}
	t, _, err := DecodeToken(tok)
	if err != nil {
		return invalid("%v", err)
	}
	if !validUsername(t.Username) {
		return invalid("token username %q is not a sourcehut username", clean(t.Username, 40))
	}
	if now.After(t.Expires) {
		return invalid("token expired at %s", t.Expires.Format(time.RFC3339))
	}
	d := decision{token: t}
	if t.Grants == "" {
		if t.ClientID != "" {
			return invalid("empty grants (all permissions) from OAuth client %q are refused", clean(t.ClientID, 40))
		}
		if !p.cfg.AllowPersonalAccessTokens {
			return invalid("personal access tokens with all permissions are refused (allow_personal_access_tokens is false)")
		}
		d.grants = []string{p.cfg.RegistryDomain + "/" + RegistryScope + ":" + string(AccessRW)}
		d.maxActions = []string{"pull", "push"}
		return d, nil
	}
	gs, err := ParseGrants(t.Grants)
	if err != nil {
		return invalid("%v", err)
	}
	matched, access, ok := registryAccess(gs, p.cfg.RegistryDomain)
	if !ok {
		return invalid("token grants nothing for %s/%s", p.cfg.RegistryDomain, RegistryScope)
	}
	d.grants = matched
	d.maxActions = []string{"pull"}
	if access == AccessRW {
		d.maxActions = []string{"pull", "push"}
	}
	return d, nil
}

// tokenAlphabet reports whether s has only the characters of unpadded
// standard base64. (Go's decoder skips \r and \n even in strict mode.)
func tokenAlphabet(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/') {
			return false
		}
	}
	return true
}

// validUsername is meta.sr.ht's username rule: 2 to 30 characters matching
// ^[a-z_][a-z0-9_-]+$.
func validUsername(u string) bool {
	if len(u) < 2 || len(u) > 30 {
		return false
	}
	for i := 0; i < len(u); i++ {
		c := u[i]
		ok := c >= 'a' && c <= 'z' || c == '_' || i > 0 && (c >= '0' && c <= '9' || c == '-')
		if !ok {
			return false
		}
	}
	return true
}

// tokenHashPrefix identifies a token in logs without revealing it.
func tokenHashPrefix(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:6])
}
