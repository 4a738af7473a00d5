package jwks

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/regbridge/regbridge/providers/upstream"
)

// fetch loads the JWKS, running discovery first when no URL is known. It
// returns the URL the keys were read from.
func (s *Set) fetch(ctx context.Context, discovered string) ([]jose.JSONWebKey, string, error) {
	uri := s.uri
	if uri == "" {
		uri = discovered
	}
	if uri == "" {
		var err error
		if uri, err = s.discover(ctx); err != nil {
			return nil, "", err
		}
	}
	body, err := s.get(ctx, uri)
	if err != nil {
		return nil, "", fmt.Errorf("fetch: %w", err)
	}
	keys, err := Parse(body)
	if err != nil {
		return nil, "", fmt.Errorf("fetch: %w", err)
	}
	return keys, uri, nil
}

// discover reads the issuer's discovery document and returns its jwks_uri,
// which must share the issuer's origin. The algorithms it advertises are
// ignored: the allow-list comes from configuration only.
func (s *Set) discover(ctx context.Context) (string, error) {
	body, err := s.get(ctx, strings.TrimSuffix(s.issuer, "/")+"/.well-known/openid-configuration")
	if err != nil {
		return "", fmt.Errorf("discovery: %w", err)
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", fmt.Errorf("discovery: invalid document: %w", err)
	}
	if doc.Issuer != s.issuer {
		return "", fmt.Errorf("discovery: document names issuer %q, want exactly %q", doc.Issuer, s.issuer)
	}
	if err := sameOrigin(s.issuer, doc.JWKSURI); err != nil {
		return "", fmt.Errorf("discovery: jwks_uri: %w", err)
	}
	return doc.JWKSURI, nil
}

// get fetches one document with the upstream hygiene: the URL is checked
// (https except on loopback, no credentials), the client refuses redirects
// and the body is capped.
func (s *Set) get(ctx context.Context, raw string) ([]byte, error) {
	u, err := upstream.CheckURL(raw, s.insecure)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
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
		return nil, fmt.Errorf("GET %s: status %d", u.Redacted(), resp.StatusCode)
	}
	return upstream.ReadBody(resp.Body, MaxDocumentBytes)
}

// sameOrigin checks that ref has the issuer's scheme, host and port and
// carries no credentials.
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
