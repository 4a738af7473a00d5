package oidc

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/upstream"
)

// Limits on what an issuer sends back.
const (
	maxDocumentBytes = 256 << 10
	maxKeys          = 64
	maxFailBackoff   = 5 * time.Second
)

var (
	errUnknownKID = errors.New("no key with this kid")
	errNoKeys     = errors.New("key set holds no usable signing keys")
)

// keySet holds one issuer's verification keys. Keys come inline (never
// fetched) or from the issuer: a JWKS URL given in the configuration, or the
// jwks_uri of the discovery document, which must share the issuer's origin.
// Fetches happen on demand, one at a time, at most once per cooldown; a
// failed fetch keeps the previous keys.
type keySet struct {
	issuer        string
	jwksURI       string // explicit; empty means discovery
	static        bool
	client        *http.Client
	now           func() time.Time
	cooldown      time.Duration
	interval      time.Duration
	allowInsecure bool
	logger        *slog.Logger

	sem chan struct{} // one fetch at a time

	mu         sync.Mutex
	keys       []jose.JSONWebKey
	loaded     bool
	fetched    time.Time // last successful fetch
	attempted  time.Time // last fetch attempt
	discovered string    // jwks_uri from discovery, reused until a fetch fails
}

// candidates returns the keys that may have signed a token with this kid (all
// keys when the token names none), fetching the key set when it is not
// loaded, stale, or lacks the kid, and the cooldown allows.
func (ks *keySet) candidates(ctx context.Context, alg, kid string, hasKID bool) ([]crypto.PublicKey, error) {
	ks.mu.Lock()
	found := match(ks.keys, alg, kid, hasKID)
	fresh := ks.static || ks.now().Sub(ks.fetched) < ks.interval
	ks.mu.Unlock()
	if len(found) > 0 && fresh {
		return found, nil
	}
	if ks.static {
		return nil, errUnknownKID
	}
	if err := ks.refresh(ctx); err != nil {
		ks.mu.Lock()
		loaded := ks.loaded
		found = match(ks.keys, alg, kid, hasKID)
		ks.mu.Unlock()
		switch {
		case len(found) > 0: // stale keys keep working while the issuer is away
			return found, nil
		case !loaded:
			return nil, err
		}
		return nil, errUnknownKID
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if found = match(ks.keys, alg, kid, hasKID); len(found) == 0 {
		return nil, errUnknownKID
	}
	return found, nil
}

// refresh fetches the key set unless another fetch ran within the cooldown
// (a shorter back-off applies while no key set has ever loaded). It returns
// ErrUnavailable when no fetch was allowed or the fetch failed.
func (ks *keySet) refresh(ctx context.Context) error {
	select {
	case ks.sem <- struct{}{}:
	case <-ctx.Done():
		return &providers.UnavailableError{RetryAfter: time.Second, Err: fmt.Errorf("oidc: keys: %w", ctx.Err())}
	}
	defer func() { <-ks.sem }()

	ks.mu.Lock()
	wait := ks.cooldown
	if !ks.loaded {
		wait = min(ks.cooldown, maxFailBackoff)
	}
	since := ks.now().Sub(ks.attempted)
	if !ks.attempted.IsZero() && since < wait {
		ks.mu.Unlock()
		return &providers.UnavailableError{RetryAfter: wait - since, Err: errors.New("oidc: keys: refresh cooling down")}
	}
	ks.attempted = ks.now()
	discovered := ks.discovered
	ks.mu.Unlock()

	// The fetch outlives a cancelled request so that its result is kept.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ks.client.Timeout)
	defer cancel()
	keys, uri, err := ks.fetch(fctx, discovered)

	ks.mu.Lock()
	defer ks.mu.Unlock()
	if err != nil {
		ks.discovered = ""
		return &providers.UnavailableError{RetryAfter: min(ks.cooldown, maxFailBackoff), Err: fmt.Errorf("oidc: keys: %w", err)}
	}
	ks.keys, ks.loaded, ks.fetched, ks.discovered = keys, true, ks.now(), uri
	ks.logger.InfoContext(ctx, "issuer keys loaded", slog.Int("keys", len(keys)))
	return nil
}

// fetch loads the JWKS, running discovery first when no URL is known.
func (ks *keySet) fetch(ctx context.Context, discovered string) ([]jose.JSONWebKey, string, error) {
	uri := ks.jwksURI
	if uri == "" {
		uri = discovered
	}
	if uri == "" {
		var err error
		if uri, err = ks.discover(ctx); err != nil {
			return nil, "", err
		}
	}
	body, err := ks.get(ctx, uri)
	if err != nil {
		return nil, "", fmt.Errorf("jwks: %w", err)
	}
	keys, err := parseJWKS(body)
	if err != nil {
		return nil, "", fmt.Errorf("jwks: %w", err)
	}
	if ks.jwksURI != "" {
		uri = ""
	}
	return keys, uri, nil
}

// discover reads the issuer's discovery document and returns its jwks_uri,
// which must share the issuer's origin. The algorithms it advertises are
// ignored: the allow-list comes from configuration only.
func (ks *keySet) discover(ctx context.Context) (string, error) {
	body, err := ks.get(ctx, strings.TrimSuffix(ks.issuer, "/")+"/.well-known/openid-configuration")
	if err != nil {
		return "", fmt.Errorf("discovery: %w", err)
	}
	var doc gooidc.ProviderConfig
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", fmt.Errorf("discovery: invalid document: %w", err)
	}
	if doc.IssuerURL != ks.issuer {
		return "", fmt.Errorf("discovery: document names issuer %q, want exactly %q", doc.IssuerURL, ks.issuer)
	}
	if err := sameOrigin(ks.issuer, doc.JWKSURL); err != nil {
		return "", fmt.Errorf("discovery: jwks_uri: %w", err)
	}
	return doc.JWKSURL, nil
}

func (ks *keySet) get(ctx context.Context, raw string) ([]byte, error) {
	u, err := upstream.CheckURL(raw, ks.allowInsecure)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := ks.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: status %d", u.Redacted(), resp.StatusCode)
	}
	return upstream.ReadBody(resp.Body, maxDocumentBytes)
}

// sameOrigin checks that ref has the issuer's scheme, host and port.
func sameOrigin(issuer, ref string) error {
	iu, err := url.Parse(issuer)
	if err != nil {
		return err
	}
	u, err := url.Parse(ref)
	if err != nil {
		return fmt.Errorf("invalid URL %q: %w", ref, err)
	}
	if u.User != nil || !strings.EqualFold(u.Scheme, iu.Scheme) || !strings.EqualFold(u.Host, iu.Host) {
		return fmt.Errorf("%q is not on the issuer's origin %s://%s (set jwks_uri explicitly to trust it)", ref, iu.Scheme, iu.Host)
	}
	return nil
}

// parseJWKS keeps the usable public signing keys of a JWKS: keys with an
// unknown type, a non-signature use, symmetric or private material are
// dropped. An empty result is an error, so that it is never cached.
func parseJWKS(b []byte) ([]jose.JSONWebKey, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(b, &set); err != nil {
		return nil, fmt.Errorf("invalid JWKS: %w", err)
	}
	var keys []jose.JSONWebKey
	for _, raw := range set.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil || !k.Valid() || !k.IsPublic() {
			continue
		}
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		switch k.Key.(type) {
		case *rsa.PublicKey:
			if k.Key.(*rsa.PublicKey).N.BitLen() < 2048 {
				continue
			}
		case *ecdsa.PublicKey, ed25519.PublicKey:
		default:
			continue
		}
		keys = append(keys, k)
		if len(keys) > maxKeys {
			return nil, fmt.Errorf("JWKS holds more than %d keys", maxKeys)
		}
	}
	if len(keys) == 0 {
		return nil, errNoKeys
	}
	return keys, nil
}

// match returns the public keys with this kid (every key when the token
// names no kid) whose published alg, if any, is alg. The kid is only ever
// compared, never used as a path or query.
func match(keys []jose.JSONWebKey, alg, kid string, hasKID bool) []crypto.PublicKey {
	var out []crypto.PublicKey
	for _, k := range keys {
		if (!hasKID || k.KeyID == kid) && (k.Algorithm == "" || k.Algorithm == alg) {
			out = append(out, k.Key)
		}
	}
	return out
}
