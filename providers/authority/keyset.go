package authority

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/upstream"
)

// maxMetadataBytes caps discovery and JWKS bodies.
const maxMetadataBytes = 256 << 10

// keyRefreshInterval is how old a downloaded key set may grow before the
// next lookup downloads it again.
const keyRefreshInterval = time.Hour

// keySet holds the server's signing keys: inline, or downloaded from
// jwks_uri or discovery, at most once per cooldown.
type keySet struct {
	inline    bool
	jwksURI   string
	discovery bool
	issuer    string
	client    *http.Client
	now       func() time.Time
	cooldown  time.Duration
	insecure  bool

	fetchMu sync.Mutex // one download at a time
	mu      sync.Mutex
	keys    []jose.JSONWebKey
	fetched time.Time // last download attempt
}

// parseJWKS decodes a JWK set, keeping public signing keys only. An empty
// result is an error: an empty key set is never kept.
func parseJWKS(b []byte) ([]jose.JSONWebKey, error) {
	var raw struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("JWKS is not JSON: %w", err)
	}
	var keys []jose.JSONWebKey
	for _, r := range raw.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(r); err != nil {
			continue // unsupported key types are skipped, not fatal
		}
		if !k.Valid() || !k.IsPublic() || (k.Use != "" && k.Use != "sig") {
			continue
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("JWKS holds no public signing key")
	}
	return keys, nil
}

// lookup returns the candidate keys for kid (all keys when kid is empty).
// An unknown kid triggers at most one download per cooldown.
func (s *keySet) lookup(ctx context.Context, kid string) ([]jose.JSONWebKey, error) {
	s.mu.Lock()
	found := match(s.keys, kid)
	stale := !s.inline && s.now().Sub(s.fetched) >= keyRefreshInterval
	s.mu.Unlock()
	if len(found) > 0 && !stale {
		return found, nil
	}
	if s.inline {
		return nil, fmt.Errorf("authority: no key for kid %q: %w", kid, providers.ErrInvalidCredential)
	}
	if err := s.refresh(ctx); err != nil {
		if len(found) > 0 {
			return found, nil // keep serving known keys while the server is down
		}
		return nil, err
	}
	s.mu.Lock()
	found = match(s.keys, kid)
	s.mu.Unlock()
	if len(found) == 0 {
		return nil, fmt.Errorf("authority: no key for kid %q: %w", kid, providers.ErrInvalidCredential)
	}
	return found, nil
}

func match(keys []jose.JSONWebKey, kid string) []jose.JSONWebKey {
	if kid == "" {
		return keys
	}
	var out []jose.JSONWebKey
	for _, k := range keys {
		if k.KeyID == kid {
			out = append(out, k)
		}
	}
	return out
}

// refresh downloads the key set unless the cooldown since the last attempt
// has not passed. Within the cooldown it succeeds without I/O when keys are
// known (an unknown kid then stays unknown) and fails when none are.
func (s *keySet) refresh(ctx context.Context) error {
	s.fetchMu.Lock()
	defer s.fetchMu.Unlock()
	s.mu.Lock()
	last := s.fetched
	have := len(s.keys) > 0
	s.mu.Unlock()
	wait := s.cooldown - s.now().Sub(last)
	if !last.IsZero() && wait > 0 {
		if have {
			return nil
		}
		return &providers.UnavailableError{RetryAfter: wait, Err: errors.New("authority: JWKS unavailable (cooling down)")}
	}
	s.mu.Lock()
	s.fetched = s.now()
	s.mu.Unlock()
	keys, err := s.download(ctx)
	if err != nil {
		return &providers.UnavailableError{RetryAfter: s.cooldown, Err: fmt.Errorf("authority: JWKS: %w", err)}
	}
	s.mu.Lock()
	s.keys = keys
	s.mu.Unlock()
	return nil
}

func (s *keySet) download(ctx context.Context) ([]jose.JSONWebKey, error) {
	uri := s.jwksURI
	if s.discovery {
		var err error
		if uri, err = s.discover(ctx); err != nil {
			return nil, err
		}
	}
	b, err := s.get(ctx, uri)
	if err != nil {
		return nil, err
	}
	return parseJWKS(b)
}

// discover reads the issuer's metadata and returns its jwks_uri, which MUST
// have the issuer's origin.
func (s *keySet) discover(ctx context.Context) (string, error) {
	base := strings.TrimSuffix(s.issuer, "/")
	b, err := s.get(ctx, base+"/.well-known/openid-configuration")
	if err != nil {
		return "", err
	}
	var md struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(b, &md); err != nil {
		return "", fmt.Errorf("discovery: %w", err)
	}
	if md.Issuer != s.issuer {
		return "", fmt.Errorf("discovery: issuer %q does not match %q", md.Issuer, s.issuer)
	}
	iu, _ := url.Parse(s.issuer)
	ju, err := upstream.CheckURL(md.JWKSURI, s.insecure)
	if err != nil {
		return "", fmt.Errorf("discovery: %w", err)
	}
	if ju.Scheme != iu.Scheme || !strings.EqualFold(ju.Host, iu.Host) {
		return "", fmt.Errorf("discovery: jwks_uri %q is not on the issuer's origin", md.JWKSURI)
	}
	return md.JWKSURI, nil
}

func (s *keySet) get(ctx context.Context, uri string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: status %d", uri, resp.StatusCode)
	}
	return upstream.ReadBody(resp.Body, maxMetadataBytes)
}
