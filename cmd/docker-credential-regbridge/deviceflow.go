package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/regbridge/regbridge/providers/upstream"
)

// deviceGrant is the device authorization grant type (RFC 8628 §3.4).
const deviceGrant = "urn:ietf:params:oauth:grant-type:device_code"

// Polling as RFC 8628 §3.2 and §3.5 say.
const (
	// defaultInterval is used when the device authorization response
	// names no interval.
	defaultInterval = 5 * time.Second
	// slowDownStep is added to the interval on every slow_down, for that
	// and all later requests.
	slowDownStep = 5 * time.Second
	// defaultCodeLife bounds polling when the response names no
	// expires_in.
	defaultCodeLife = 15 * time.Minute
	// maxTokenAnswer caps a token endpoint answer.
	maxTokenAnswer = 64 << 10
)

// deviceTokens is what a successful device access token request yields.
type deviceTokens struct {
	RefreshToken string
	IDToken      string
}

// tokenAnswer is a token endpoint answer, success (RFC 6749 §5.1) or error
// (§5.2).
type tokenAnswer struct {
	AccessToken      string `json:"access_token"`
	RefreshToken     string `json:"refresh_token"`
	IDToken          string `json:"id_token"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// pollDevice polls the token endpoint until the user has decided or the
// code has expired: it waits interval between requests, keeps waiting on
// authorization_pending, adds five seconds to the interval for this and
// every later request on slow_down, and stops on access_denied,
// expired_token, any other error, or when expires_in has passed.
// asked is the wall-clock time the device authorization was requested.
func (h *helper) pollDevice(ctx context.Context, conf *oauth2.Config, da *oauth2.DeviceAuthResponse, asked time.Time) (*deviceTokens, error) {
	interval := time.Duration(da.Interval) * time.Second
	if interval <= 0 {
		interval = defaultInterval
	}
	life := defaultCodeLife
	if !da.Expiry.IsZero() {
		// x/oauth2 turns expires_in (whole seconds) into a wall-clock
		// time counted from the request; take it back to a duration and
		// count it on the helper's clock.
		life = da.Expiry.Sub(asked).Round(time.Second)
	}
	deadline := h.now().Add(life)
	for {
		if err := h.sleep(ctx, interval); err != nil {
			return nil, fmt.Errorf("helper: login: %w", err)
		}
		if !h.now().Before(deadline) {
			return nil, errors.New("helper: login: the code expired before the login was confirmed; run login again")
		}
		ans, err := h.deviceTokenRequest(ctx, conf, da.DeviceCode)
		if err != nil {
			return nil, err
		}
		switch ans.Error {
		case "":
			return &deviceTokens{RefreshToken: ans.RefreshToken, IDToken: ans.IDToken}, nil
		case "authorization_pending":
		case "slow_down":
			interval += slowDownStep
		case "access_denied":
			return nil, errors.New("helper: login: the login was denied")
		case "expired_token":
			return nil, errors.New("helper: login: the code expired before the login was confirmed; run login again")
		default:
			return nil, fmt.Errorf("helper: login: the identity provider answers %s: %s", ans.Error, oneLine(ans.ErrorDescription))
		}
	}
}

// deviceTokenRequest makes one device access token request (RFC 8628
// §3.4) for a public client.
func (h *helper) deviceTokenRequest(ctx context.Context, conf *oauth2.Config, deviceCode string) (*tokenAnswer, error) {
	form := url.Values{"grant_type": {deviceGrant}, "device_code": {deviceCode}, "client_id": {conf.ClientID}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, conf.Endpoint.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("helper: login: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("helper: login: token request: %w", err)
	}
	defer resp.Body.Close()
	body, err := upstream.ReadBody(resp.Body, maxTokenAnswer)
	if err != nil {
		return nil, fmt.Errorf("helper: login: token request: %w", err)
	}
	var ans tokenAnswer
	if err := jsonStrict(body, &ans); err != nil {
		return nil, fmt.Errorf("helper: login: token request: %s answers %s, not a token response", conf.Endpoint.TokenURL, resp.Status)
	}
	switch {
	case resp.StatusCode == http.StatusOK && ans.Error == "" && ans.AccessToken != "":
		return &ans, nil
	case resp.StatusCode >= 400 && ans.Error != "":
		return &ans, nil
	}
	return nil, fmt.Errorf("helper: login: token request: %s answers %s, not a token response", conf.Endpoint.TokenURL, resp.Status)
}

// sleepContext waits d or until ctx ends.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// oneLine keeps an upstream message printable: one line, capped.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
