package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/upstream"
)

// idpEndpoints are the parts of the identity provider's OpenID discovery
// document the device flow needs.
type idpEndpoints struct {
	Issuer              string `json:"issuer"`
	DeviceAuthorization string `json:"device_authorization_endpoint"`
	Token               string `json:"token_endpoint"`
}

// idpDiscover reads issuer's /.well-known/openid-configuration; the issuer
// must match exactly and every endpoint be https (http on loopback only).
func (h *helper) idpDiscover(ctx context.Context, issuer string) (*idpEndpoints, error) {
	u := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	resp, err := h.do(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("helper: IdP discovery: %w", err)
	}
	defer resp.Body.Close()
	body, err := upstream.ReadBody(resp.Body, maxMetadata)
	if err != nil {
		return nil, fmt.Errorf("helper: IdP discovery: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("helper: IdP discovery: %s answers %s", u, resp.Status)
	}
	var ep idpEndpoints
	if err := jsonStrict(body, &ep); err != nil {
		return nil, fmt.Errorf("helper: IdP discovery: %w", err)
	}
	if ep.Issuer != issuer {
		return nil, fmt.Errorf("helper: IdP discovery: issuer %q, want %q", ep.Issuer, issuer)
	}
	if ep.DeviceAuthorization == "" {
		return nil, fmt.Errorf("helper: IdP discovery: %s offers no device authorization endpoint", issuer)
	}
	for _, e := range []string{ep.DeviceAuthorization, ep.Token} {
		if _, err := upstream.CheckURL(e, false); err != nil {
			return nil, fmt.Errorf("helper: IdP discovery: %w", err)
		}
	}
	return &ep, nil
}

func oauthConfig(clientID string, scopes []string, ep *idpEndpoints) *oauth2.Config {
	return &oauth2.Config{
		ClientID: clientID,
		Scopes:   scopes,
		Endpoint: oauth2.Endpoint{
			DeviceAuthURL: ep.DeviceAuthorization,
			TokenURL:      ep.Token,
			AuthStyle:     oauth2.AuthStyleInParams,
		},
	}
}

// login runs the device authorization grant (RFC 8628) for host against the
// identity provider regbridge's metadata names: it prints the verification
// URL and the user code, polls as the grant says (interval, slow_down,
// expires_in), and keeps the refresh token.
func (h *helper) login(ctx context.Context, serverURL string) error {
	host, err := registryHost(serverURL)
	if err != nil {
		return err
	}
	cfg, err := h.config()
	if err != nil {
		return err
	}
	reg, ok := cfg.Registries[host]
	if !ok {
		return fmt.Errorf("helper: login: %s is not in the configuration", host)
	}
	if s := reg.source(); s != sourceAuto && s != sourceLogin {
		return fmt.Errorf("helper: login: %s uses source %s, not login", host, s)
	}
	t, err := h.discover(ctx, host, reg)
	if err != nil {
		return err
	}
	flow := t.service.DeviceFlow
	if flow == nil {
		return fmt.Errorf("helper: login: regbridge names no device-flow client for service %q", t.service.Service)
	}
	ep, err := h.idpDiscover(ctx, flow.Issuer)
	if err != nil {
		return err
	}
	scopes := flow.Scopes
	if !slices.Contains(scopes, "offline_access") {
		scopes = append(slices.Clone(scopes), "offline_access")
	}
	conf := oauthConfig(flow.ClientID, scopes, ep)
	ctx = context.WithValue(ctx, oauth2.HTTPClient, h.client)
	asked := time.Now()
	da, err := conf.DeviceAuth(ctx)
	if err != nil {
		return fmt.Errorf("helper: login: device authorization: %w", err)
	}
	if _, err := upstream.CheckURL(da.VerificationURI, false); err != nil {
		return fmt.Errorf("helper: login: verification URI: %w", err)
	}
	fmt.Fprintf(h.stderr, "To log in to %s, open %s and enter the code %s\n", host, da.VerificationURI, da.UserCode)
	if da.VerificationURIComplete != "" {
		fmt.Fprintf(h.stderr, "or open %s\n", da.VerificationURIComplete)
	}
	if !da.Expiry.IsZero() {
		fmt.Fprintf(h.stderr, "The code expires at %s.\n", da.Expiry.Local().Format(time.Kitchen))
	}
	tok, err := h.pollDevice(ctx, conf, da, asked)
	if err != nil {
		return err
	}
	if tok.RefreshToken == "" {
		return errors.New("helper: login: the identity provider issued no refresh token (the client needs the refresh_token grant and offline_access)")
	}
	if tok.IDToken == "" {
		return errors.New("helper: login: the identity provider issued no ID token (scopes must include openid)")
	}
	rec := loginRecord{Registry: host, Issuer: flow.Issuer, ClientID: flow.ClientID, Scopes: scopes,
		TokenEndpoint: ep.Token, RefreshToken: tok.RefreshToken}
	if err := h.saveLogin(rec); err != nil {
		return err
	}
	fmt.Fprintf(h.stderr, "Logged in to %s.\n", host)
	return nil
}

// loginToken mints a fresh ID token from host's refresh token (refresh
// grant, no browser) and keeps a rotated refresh token. The record must
// belong to the device-flow client regbridge names now. A refresh token the
// identity provider refuses (invalid_grant) is forgotten.
func (h *helper) loginToken(ctx context.Context, host string, t *target) (providers.Secret, error) {
	unlock, err := h.lockLogin(host)
	if err != nil {
		return "", err
	}
	defer unlock()
	rec, ok, err := h.loadLogin(host)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", errNotFound
	}
	if f := t.service.DeviceFlow; f == nil || f.Issuer != rec.Issuer || f.ClientID != rec.ClientID {
		return "", fmt.Errorf("helper: login: regbridge no longer names %s (client %s) for %s; log in again", rec.Issuer, rec.ClientID, host)
	}
	if _, err := upstream.CheckURL(rec.TokenEndpoint, false); err != nil {
		return "", fmt.Errorf("helper: login: %w", err)
	}
	conf := oauthConfig(rec.ClientID, rec.Scopes, &idpEndpoints{Token: rec.TokenEndpoint})
	ctx = context.WithValue(ctx, oauth2.HTTPClient, h.client)
	tok, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: rec.RefreshToken}).Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.ErrorCode == "invalid_grant" {
			// The refresh token is dead (revoked, expired or used twice):
			// forget it rather than keep a useless secret on disk.
			if lerr := h.logout(host); lerr != nil {
				return "", lerr
			}
			return "", fmt.Errorf("helper: login: the identity provider refused the stored refresh token, so the login to %s was forgotten; run `docker-credential-regbridge login %s` again", host, host)
		}
		return "", fmt.Errorf("helper: login: refresh: %w", err)
	}
	if tok.RefreshToken != "" && tok.RefreshToken != rec.RefreshToken {
		rec.RefreshToken = tok.RefreshToken
		if err := h.saveLogin(rec); err != nil {
			return "", err
		}
	}
	idt, _ := tok.Extra("id_token").(string)
	if idt == "" {
		return "", errors.New("helper: login: the refresh answer carries no ID token")
	}
	return cleanToken([]byte(idt))
}
