package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/regbridge/regbridge/providers"
)

// The kubelet's image credential provider API.
const (
	kubeletAPIVersion = "credentialprovider.kubelet.k8s.io/v1"
	kubeletRequest    = "CredentialProviderRequest"
	kubeletResponse   = "CredentialProviderResponse"
)

// kubeletCacheMargin is taken off a token's remaining lifetime, so that a
// cached credential still works for the token request of a pull that
// starts just before the cache entry ends.
const kubeletCacheMargin = 30 * time.Second

// CredentialProviderRequest is what the kubelet writes on stdin.
type CredentialProviderRequest struct {
	APIVersion                string            `json:"apiVersion"`
	Kind                      string            `json:"kind"`
	Image                     string            `json:"image"`
	ServiceAccountToken       string            `json:"serviceAccountToken,omitempty"`
	ServiceAccountAnnotations map[string]string `json:"serviceAccountAnnotations,omitempty"`
}

// CredentialProviderResponse is the answer on stdout.
type CredentialProviderResponse struct {
	APIVersion    string                `json:"apiVersion"`
	Kind          string                `json:"kind"`
	CacheKeyType  string                `json:"cacheKeyType"`
	CacheDuration string                `json:"cacheDuration,omitempty"`
	Auth          map[string]AuthConfig `json:"auth,omitempty"`
}

// AuthConfig is one registry's Basic credential.
type AuthConfig struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// parseKubeletRequest decodes and checks a CredentialProviderRequest.
func parseKubeletRequest(b []byte) (*CredentialProviderRequest, error) {
	if len(b) > maxRequest {
		return nil, errors.New("kubelet: the request is too large")
	}
	var req CredentialProviderRequest
	if err := jsonStrict(b, &req); err != nil {
		return nil, fmt.Errorf("kubelet: %w", err)
	}
	if req.APIVersion != kubeletAPIVersion || req.Kind != kubeletRequest {
		return nil, fmt.Errorf("kubelet: want %s %s, got %q %q", kubeletAPIVersion, kubeletRequest, req.APIVersion, req.Kind)
	}
	if req.Image == "" {
		return nil, errors.New("kubelet: the request names no image")
	}
	if req.ServiceAccountToken != "" {
		if _, err := cleanToken([]byte(req.ServiceAccountToken)); err != nil {
			return nil, fmt.Errorf("kubelet: serviceAccountToken: %w", err)
		}
	}
	return &req, nil
}

// imageRegistry returns the registry host of an image reference, with
// docker's rule: the first path component is a host when it has a dot or a
// port, or is localhost.
func imageRegistry(image string) string {
	first, _, found := strings.Cut(image, "/")
	if !found || (!strings.ContainsAny(first, ".:") && first != "localhost") {
		return "docker.io"
	}
	return strings.ToLower(first)
}

// kubelet answers one CredentialProviderRequest. The credential is the
// pod's service-account token when the kubelet passes one, else the
// registry's configured source. The cache duration never outlasts the
// token; an unconfigured registry gets an answer without auth.
func (h *helper) kubelet(ctx context.Context, stdin io.Reader, stdout io.Writer) error {
	b, err := io.ReadAll(io.LimitReader(stdin, maxRequest+1))
	if err != nil {
		return fmt.Errorf("kubelet: read: %w", err)
	}
	req, err := parseKubeletRequest(b)
	if err != nil {
		return err
	}
	resp := CredentialProviderResponse{APIVersion: kubeletAPIVersion, Kind: kubeletResponse, CacheKeyType: "Registry"}
	host := imageRegistry(req.Image)
	cfg, err := h.config()
	if err != nil {
		return err
	}
	reg, ok := cfg.Registries[host]
	if ok {
		cred, err := h.credential(ctx, host, reg, providers.Secret(req.ServiceAccountToken))
		switch {
		case errors.Is(err, errNotFound):
		case err != nil:
			return err
		default:
			resp.Auth = map[string]AuthConfig{host: {Username: reg.username(), Password: cred.secret.Reveal()}}
			resp.CacheDuration = kubeletCacheDuration(cred.secret, reg, h.now()).String()
		}
	}
	if resp.Auth == nil {
		resp.CacheDuration = "0s"
	}
	return json.NewEncoder(stdout).Encode(resp)
}

// kubeletCacheDuration is the token's remaining lifetime less a margin,
// capped by kubelet_cache_max; 0 (do not cache) for a token whose lifetime
// cannot be read.
func kubeletCacheDuration(tok providers.Secret, reg Registry, now time.Time) time.Duration {
	exp, ok := jwtExpiry(tok.Reveal())
	if !ok {
		return 0
	}
	d := exp.Sub(now) - kubeletCacheMargin
	limit := reg.KubeletCacheMax
	if limit == 0 {
		limit = defaultKubeletCacheMax
	}
	d = min(d, limit)
	if d <= 0 {
		return 0
	}
	return d.Truncate(time.Second)
}

// jwtExpiry reads exp from a compact JWS payload without verifying it: the
// helper only needs to know how long the token it hands out lives.
func jwtExpiry(tok string) (time.Time, bool) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return time.Time{}, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}, false
	}
	var c struct {
		Exp json.Number `json:"exp"`
	}
	if err := jsonStrict(raw, &c); err != nil {
		return time.Time{}, false
	}
	sec, err := c.Exp.Int64()
	if err != nil || sec <= 0 {
		return time.Time{}, false
	}
	return time.Unix(sec, 0), true
}
