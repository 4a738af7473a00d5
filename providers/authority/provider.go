package authority

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/authority/dpop"
	"github.com/regbridge/regbridge/providers/internal/jwks"
	"github.com/regbridge/regbridge/providers/upstream"
)

// MaxTokenBytes caps an access token.
const MaxTokenBytes = 16 << 10

// Provider checks access tokens of one authorization server.
type Provider struct {
	id       string
	cfg      Config
	now      func() time.Time
	log      *slog.Logger
	algs     []jose.SignatureAlgorithm
	keys     *jwks.Set
	intro    *introspector
	verifier *dpop.Verifier
	dpopAlgs string
	proxies  []netip.Prefix
}

var (
	_ providers.Provider       = (*Provider)(nil)
	_ providers.Router         = (*Provider)(nil)
	_ providers.Describer      = (*Provider)(nil)
	_ providers.BindingChecker = (*Provider)(nil)
)

// New builds a provider. It reads the secret and key files it names but
// does no network I/O.
func New(id string, cfg Config, deps providers.Deps) (*Provider, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &Provider{id: id, cfg: cfg, now: deps.Now, log: deps.Logger}
	if p.now == nil {
		p.now = time.Now
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	client := upstream.NoRedirects(deps.HTTPClient, cfg.Timeout)
	insecure := cfg.AllowInsecureHTTP || deps.AllowInsecureHTTP
	for _, a := range cfg.Keys.AlgorithmList() {
		p.algs = append(p.algs, jose.SignatureAlgorithm(a))
	}
	if cfg.usesJWT() {
		keys, err := jwks.New(jwks.Options{
			Issuer:            cfg.Issuer,
			URI:               cfg.JWKSURI,
			Discovery:         cfg.Discovery,
			Inline:            []byte(cfg.JWKS),
			HTTPClient:        deps.HTTPClient,
			Timeout:           cfg.Timeout,
			Now:               p.now,
			Cooldown:          cfg.JWKSRefreshCooldown,
			AllowInsecureHTTP: insecure,
			Logger:            p.log,
			Shared:            deps.KeySets,
			StateDir:          deps.KeyStateDir,
			MaxStale:          deps.MaxStaleKeys,
		})
		if err != nil {
			return nil, fmt.Errorf("authority: jwks: %w", err)
		}
		p.keys = keys
	}
	if cfg.usesIntrospection() {
		in, err := newIntrospector(cfg, client, p.now)
		if err != nil {
			return nil, err
		}
		p.intro = in
	}
	if err := p.initDPoP(deps); err != nil {
		return nil, err
	}
	for _, s := range cfg.MTLS.TrustedProxies {
		p.proxies = append(p.proxies, netip.MustParsePrefix(s)) // validated above
	}
	return p, nil
}

func newIntrospector(cfg Config, client *http.Client, now func() time.Time) (*introspector, error) {
	in := &introspector{endpoint: cfg.IntrospectionURL, auth: cfg.clientAuth(), clientID: cfg.ClientID,
		secret: cfg.ClientSecret, client: client, now: now}
	if cfg.ClientSecretFile != "" {
		b, err := os.ReadFile(cfg.ClientSecretFile)
		if err != nil {
			return nil, fmt.Errorf("authority: client_secret_file: %w", err)
		}
		in.secret = providers.Secret(strings.TrimSpace(string(b)))
		if in.secret == "" {
			return nil, errors.New("authority: client_secret_file: empty")
		}
	}
	if in.auth == AuthPrivateKeyJWT {
		b, err := os.ReadFile(cfg.PrivateKeyFile)
		if err != nil {
			return nil, fmt.Errorf("authority: private_key_file: %w", err)
		}
		if in.signer, err = loadSigner(b); err != nil {
			return nil, fmt.Errorf("authority: private_key_file: %w", err)
		}
	}
	return in, nil
}

func (p *Provider) initDPoP(deps providers.Deps) error {
	algNames := p.cfg.dpopAlgorithms()
	p.dpopAlgs = strings.Join(algNames, " ")
	var algs []jose.SignatureAlgorithm
	for _, a := range algNames {
		algs = append(algs, jose.SignatureAlgorithm(a))
	}
	replay := deps.Replay
	if replay == nil {
		replay = providers.NewMemoryReplay(100_000, p.now)
	}
	p.verifier = &dpop.Verifier{Algorithms: algs, MaxAge: p.cfg.DPoP.IATWindow, MaxFuture: p.cfg.DPoP.IATFuture,
		Replay: replay, Now: p.now}
	if !p.cfg.DPoP.Nonce {
		return nil
	}
	key := make([]byte, 32)
	if p.cfg.DPoP.NonceSecretFile != "" {
		b, err := os.ReadFile(p.cfg.DPoP.NonceSecretFile)
		if err != nil {
			return fmt.Errorf("authority: dpop.nonce_secret_file: %w", err)
		}
		key = []byte(strings.TrimSpace(string(b)))
	} else if _, err := rand.Read(key); err != nil {
		return fmt.Errorf("authority: dpop nonce key: %w", err)
	}
	n, err := dpop.NewNonces(key, defDur(p.cfg.DPoP.NonceTTL, DefaultNonceTTL), p.now)
	if err != nil {
		return fmt.Errorf("authority: dpop.nonce_secret_file: %w", err)
	}
	p.verifier.Nonces = n
	return nil
}

// Route claims tokens whose `iss` is the issuer on the Bearer scheme, on the
// DPoP scheme unless the sender constraint is mtls, and opaque tokens when
// introspection is on.
func (p *Provider) Route() providers.Route {
	schemes := []string{"DPoP", "Bearer"}
	if p.cfg.constraint() == ConstraintMTLS {
		schemes = []string{"Bearer"}
	}
	return providers.Route{
		Issuers:      []string{p.cfg.Issuer},
		Schemes:      schemes,
		OpaqueTokens: p.cfg.usesIntrospection(),
	}
}

// PolicyFacts tells the policy linter what identities carry.
func (p *Provider) PolicyFacts() providers.PolicyFacts {
	f := providers.PolicyFacts{Type: "authority"}
	if len(p.cfg.Claims) > 0 {
		f.Claims = append([]string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "client_id", "scope", "scp", "cnf", "username"}, p.cfg.Claims...)
	}
	return f
}

// CacheTTL is the longest time the bridge should cache a positive result of
// this provider (cache_ttl; zero means the bridge's own TTL). It bounds how
// long a revoked token keeps working.
func (p *Provider) CacheTTL() time.Duration { return p.cfg.CacheTTL }

// Authenticate validates the token itself — the cacheable part. The sender
// constraint is checked by CheckBinding.
func (p *Provider) Authenticate(ctx context.Context, cred providers.Credential) (providers.Identity, error) {
	token := cred.Secret.Reveal()
	if token == "" || len(token) > MaxTokenBytes {
		return providers.Identity{}, p.invalidToken(cred.Scheme, "token empty or too long", nil)
	}
	jws := isCompactJWS(token)
	var claims map[string]any
	src := fromJWT
	if p.cfg.usesJWT() {
		if !jws {
			return providers.Identity{}, p.invalidToken(cred.Scheme, "token is not a JWT", nil)
		}
		var err error
		if claims, err = p.verifyJWT(ctx, cred.Scheme, token); err != nil {
			return providers.Identity{}, err
		}
		if _, err := p.toIdentity(cred.Scheme, claims, fromJWT); err != nil {
			return providers.Identity{}, err // refuse forgeries before asking the server
		}
	}
	if p.cfg.usesIntrospection() {
		ic, err := p.intro.introspect(ctx, token)
		switch {
		case errors.Is(err, errInactive):
			return providers.Identity{}, p.invalidToken(cred.Scheme, "token is not active", nil)
		case errors.Is(err, errActiveNotBool):
			return providers.Identity{}, p.invalidToken(cred.Scheme, "introspection response malformed", err)
		case err != nil:
			return providers.Identity{}, err
		}
		if err := p.cfg.checkAnswer(ic); err != nil {
			return providers.Identity{}, p.invalidToken(cred.Scheme, "introspection answer is not a current access token of this server", err)
		}
		if claims == nil {
			claims, src = ic, fromIntrospection
		} else if err := sameToken(claims, ic); err != nil {
			return providers.Identity{}, p.invalidToken(cred.Scheme, "introspection disagrees with the token", err)
		}
	}
	return p.toIdentity(cred.Scheme, claims, src)
}

// sameToken checks that an introspection response describes the verified
// JWT (validation: both): the members both carry must agree.
func sameToken(jwt, ic map[string]any) error {
	for _, k := range []string{"sub", "client_id", "iss", "jti"} {
		a, inJWT := jwt[k]
		b, inIC := ic[k]
		if inJWT && inIC && fmt.Sprint(a) != fmt.Sprint(b) {
			return fmt.Errorf("%s differs", k)
		}
	}
	if _, ok := ic["cnf"]; ok {
		if fmt.Sprint(ic["cnf"]) != fmt.Sprint(jwt["cnf"]) {
			return errors.New("cnf differs")
		}
	}
	return nil
}
