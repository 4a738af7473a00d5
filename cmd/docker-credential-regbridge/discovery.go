package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/regbridge/regbridge/providers/upstream"
)

// discoveryPath is bridge.DiscoveryPath (kept here so that the helper does
// not link the server).
const discoveryPath = "/.well-known/regbridge-configuration"

// maxMetadata caps the metadata document.
const maxMetadata = 256 << 10

// metadata is the document regbridge serves at discoveryPath.
type metadata struct {
	TokenEndpoint string            `json:"token_endpoint"`
	Services      []metadataService `json:"services"`
}

type metadataService struct {
	Service    string           `json:"service"`
	Issuers    []metadataIssuer `json:"issuers"`
	DeviceFlow *deviceFlow      `json:"device_flow"`
}

type metadataIssuer struct {
	Issuer    string   `json:"issuer"`
	Audiences []string `json:"audiences"`
}

type deviceFlow struct {
	Issuer   string   `json:"issuer"`
	ClientID string   `json:"client_id"`
	Scopes   []string `json:"scopes"`
}

// target is what discovery found for one registry: the regbridge that
// serves it and the metadata of its service.
type target struct {
	realm   string
	service metadataService
}

// audienceFor returns the first audience listed for issuer.
func (t *target) audienceFor(issuer string) (string, bool) {
	for _, i := range t.service.Issuers {
		if strings.TrimSuffix(i.Issuer, "/") == strings.TrimSuffix(issuer, "/") && len(i.Audiences) > 0 {
			return i.Audiences[0], true
		}
	}
	return "", false
}

// errNoRegbridge means the registry is not served by a regbridge the helper
// may trust: no credential is handed out for it.
var errNoRegbridge = errors.New("no regbridge serves this registry")

// discover asks the registry for its challenge (GET /v2/), checks that the
// realm is https (http on loopback only), and reads the realm's metadata,
// which must name that realm as its token endpoint and list the
// challenge's service.
func (h *helper) discover(ctx context.Context, host string, reg Registry) (*target, error) {
	scheme := "https"
	if reg.PlainHTTP {
		scheme = "http"
	}
	resp, err := h.do(ctx, scheme+"://"+host+"/v2/")
	if err != nil {
		return nil, fmt.Errorf("helper: %s: %w", host, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		return nil, fmt.Errorf("helper: %s answers /v2/ with %s, not a challenge: %w", host, resp.Status, errNoRegbridge)
	}
	realm, service, err := parseChallenge(resp.Header.Values("WWW-Authenticate"))
	if err != nil {
		return nil, fmt.Errorf("helper: %s: %w: %w", host, errNoRegbridge, err)
	}
	ru, err := upstream.CheckURL(realm, false)
	if err != nil {
		return nil, fmt.Errorf("helper: %s: the realm: %w: %w", host, errNoRegbridge, err)
	}
	metaURL := (&url.URL{Scheme: ru.Scheme, Host: ru.Host, Path: discoveryPath}).String()
	resp, err = h.do(ctx, metaURL)
	if err != nil {
		return nil, fmt.Errorf("helper: metadata: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("helper: %s answers %s: %w", metaURL, resp.Status, errNoRegbridge)
	}
	body, err := upstream.ReadBody(resp.Body, maxMetadata)
	if err != nil {
		return nil, fmt.Errorf("helper: metadata: %w", err)
	}
	md, err := parseMetadata(body)
	if err != nil {
		return nil, fmt.Errorf("helper: %s: %w", metaURL, err)
	}
	if !sameURL(md.TokenEndpoint, realm) {
		return nil, fmt.Errorf("helper: %s names token endpoint %q, but the registry challenges with %q: %w", metaURL, md.TokenEndpoint, realm, errNoRegbridge)
	}
	for _, s := range md.Services {
		if s.Service == service {
			return &target{realm: realm, service: s}, nil
		}
	}
	return nil, fmt.Errorf("helper: %s does not list service %q: %w", metaURL, service, errNoRegbridge)
}

func (h *helper) do(ctx context.Context, u string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	return h.client.Do(req)
}

// sameURL compares two absolute URLs after parsing (scheme and host case).
func sameURL(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	if err1 != nil || err2 != nil {
		return false
	}
	return strings.EqualFold(ua.Scheme, ub.Scheme) && strings.EqualFold(ua.Host, ub.Host) &&
		ua.EscapedPath() == ub.EscapedPath() && ua.RawQuery == ub.RawQuery && ua.User == nil && ub.User == nil
}

// parseMetadata decodes the metadata document: exactly one JSON object,
// unknown members ignored (the document may grow), every member it uses of
// the right type.
func parseMetadata(b []byte) (*metadata, error) {
	if len(b) > maxMetadata {
		return nil, errors.New("metadata: too large")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	var md metadata
	if err := dec.Decode(&md); err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("metadata: trailing data after the document")
	}
	if _, err := upstream.CheckURL(md.TokenEndpoint, false); err != nil {
		return nil, fmt.Errorf("metadata: token_endpoint: %w", err)
	}
	for i, s := range md.Services {
		if s.Service == "" {
			return nil, fmt.Errorf("metadata: services[%d]: no service name", i)
		}
		if f := s.DeviceFlow; f != nil {
			if _, err := upstream.CheckURL(f.Issuer, false); err != nil {
				return nil, fmt.Errorf("metadata: services[%d].device_flow.issuer: %w", i, err)
			}
			if f.ClientID == "" {
				return nil, fmt.Errorf("metadata: services[%d].device_flow: no client_id", i)
			}
		}
	}
	return &md, nil
}

// parseChallenge finds the Bearer challenge among WWW-Authenticate values
// and returns its realm and service parameters (RFC 7235 auth-params,
// quoted or token values).
func parseChallenge(values []string) (realm, service string, err error) {
	for _, v := range values {
		scheme, rest, _ := strings.Cut(strings.TrimSpace(v), " ")
		if !strings.EqualFold(scheme, "Bearer") {
			continue
		}
		params, err := parseAuthParams(rest)
		if err != nil {
			return "", "", err
		}
		if params["realm"] == "" {
			return "", "", errors.New("the Bearer challenge has no realm")
		}
		return params["realm"], params["service"], nil
	}
	return "", "", errors.New("no Bearer challenge")
}

// parseAuthParams parses `k=v, k="quoted \" v"` lists; a duplicate key is
// an error.
func parseAuthParams(s string) (map[string]string, error) {
	out := map[string]string{}
	for {
		s = strings.TrimLeft(s, " \t,")
		if s == "" {
			return out, nil
		}
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return nil, fmt.Errorf("challenge: malformed parameter %q", s)
		}
		key := strings.ToLower(strings.TrimSpace(s[:eq]))
		s = strings.TrimLeft(s[eq+1:], " \t")
		var val string
		if strings.HasPrefix(s, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				b.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, errors.New("challenge: unterminated quoted string")
			}
			val, s = b.String(), s[i+1:]
		} else {
			end := strings.IndexAny(s, ", \t")
			if end < 0 {
				end = len(s)
			}
			val, s = s[:end], s[end:]
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("challenge: parameter %q appears twice", key)
		}
		out[key] = val
	}
}
