package oidc

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/internal/jwks"
)

// Token types of an RFC 8693 exchange that this provider accepts.
const (
	tokenTypeIDToken = "urn:ietf:params:oauth:token-type:id_token"
	tokenTypeJWT     = "urn:ietf:params:oauth:token-type:jwt"
)

// Provider verifies ID tokens from one declared issuer.
type Provider struct {
	id       string
	issuer   string
	preset   preset
	mapping  mapping
	verifier *verifier
	replay   string
	store    providers.ReplayStore
	skew     time.Duration
	users    []string
	now      func() time.Time
}

var (
	_ providers.Provider       = (*Provider)(nil)
	_ providers.Router         = (*Provider)(nil)
	_ providers.Describer      = (*Provider)(nil)
	_ providers.BindingChecker = (*Provider)(nil)
)

// New builds the provider for one issuer. It does no network I/O: keys from
// the issuer load on first use, and until they do the issuer answers
// ErrUnavailable. A jwks_file is read here.
func New(id string, cfg Config, deps providers.Deps) (*Provider, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p, _ := lookupPreset(cfg.presetName())
	issuer := cfg.issuer(p)
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Replay == nil {
		deps.Replay = providers.NewMemoryReplay(100000, deps.Now)
	}
	inline := []byte(cfg.JWKS)
	if cfg.JWKSFile != "" {
		b, err := os.ReadFile(cfg.JWKSFile)
		if err != nil {
			return nil, fmt.Errorf("oidc: jwks_file: %w", err)
		}
		inline = b
	}
	ks, err := jwks.New(jwks.Options{
		Issuer:            issuer,
		URI:               cfg.JWKSURI,
		Discovery:         true,
		Inline:            inline,
		HTTPClient:        deps.HTTPClient,
		Timeout:           cfg.Timeout,
		Now:               deps.Now,
		Cooldown:          cfg.RefreshCooldown,
		Interval:          cfg.RefreshInterval,
		AllowInsecureHTTP: cfg.AllowInsecureHTTP || deps.AllowInsecureHTTP,
		Logger:            deps.Logger,
		Shared:            deps.KeySets,
		StateDir:          deps.KeyStateDir,
		MaxStale:          deps.MaxStaleKeys,
	})
	if err != nil {
		return nil, fmt.Errorf("oidc: jwks: %w", err)
	}
	skew := cfg.Skew
	if skew == 0 {
		skew = DefaultSkew
	}
	replay := cfg.Replay
	if replay == "" {
		replay = ReplayReuse
	}
	return &Provider{
		id:     id,
		issuer: issuer,
		preset: p,
		mapping: mapping{
			subjectClaim:  cfg.SubjectClaim,
			usernameClaim: cfg.UsernameClaim,
			groupsClaim:   cfg.GroupsClaim,
		},
		verifier: &verifier{
			issuer:    issuer,
			audiences: append([]string(nil), cfg.Audiences...),
			algs:      cfg.Keys.AlgorithmList(),
			skew:      skew,
			maxAge:    orDefault(cfg.MaxTokenAge, p.maxTokenAge),
			now:       deps.Now,
			keys:      ks,
		},
		replay: replay,
		store:  deps.Replay,
		skew:   skew,
		users:  append([]string(nil), cfg.Usernames...),
		now:    deps.Now,
	}, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// Issuer returns the exact issuer string this provider serves.
func (p *Provider) Issuer() string { return p.issuer }

// Route claims the issuer, and the configured Basic usernames for non-JWS
// passwords (which are then refused with a clear reason).
func (p *Provider) Route() providers.Route {
	return providers.Route{
		Issuers:   []string{p.issuer},
		Usernames: append([]string(nil), p.users...),
		Schemes:   []string{string(providers.SchemeBearer)},
	}
}

// Authenticate verifies an ID token presented as a Basic password, a Bearer
// token or the subject token of a token exchange.
func (p *Provider) Authenticate(ctx context.Context, cred providers.Credential) (providers.Identity, error) {
	switch cred.Scheme {
	case providers.SchemeBasic, providers.SchemeBearer:
	case providers.SchemeExchange:
		if cred.TokenType != tokenTypeIDToken && cred.TokenType != tokenTypeJWT {
			return providers.Identity{}, invalid("subject_token_type %q is not an ID token", cred.TokenType)
		}
	default:
		return providers.Identity{}, invalid("scheme %q is not accepted for ID tokens", cred.Scheme)
	}
	tok, err := p.verifier.verify(ctx, cred.Secret.Reveal())
	if err != nil {
		return providers.Identity{}, err
	}
	id, err := p.preset.identity(tok.claims, p.mapping)
	if err != nil {
		return providers.Identity{}, err
	}
	id.Expiry = tok.expiry
	if p.replay == ReplayBindFirstUse {
		if err := p.bindFirstUse(ctx, tok); err != nil {
			return providers.Identity{}, err
		}
	}
	return id, nil
}

// PolicyFacts tells the policy linter what this issuer's identities carry.
func (p *Provider) PolicyFacts() providers.PolicyFacts {
	f := providers.PolicyFacts{
		Type:            "oidc",
		Preset:          p.preset.name,
		SharedIssuer:    p.preset.sharedIssuer(p.issuer),
		ImmutableClaims: append([]string(nil), p.preset.immutableClaims...),
		CI:              p.preset.ci,
		TriggerClaims:   append([]string(nil), p.preset.triggerClaims...),
	}
	if p.preset.claims != nil {
		f.Claims = append(append([]string(nil), standardClaims...), p.preset.claims...)
		for _, c := range []string{p.mapping.groupsClaim, p.mapping.subjectClaim, p.mapping.usernameClaim} {
			if c != "" {
				f.Claims = append(f.Claims, c)
			}
		}
	}
	return f
}
