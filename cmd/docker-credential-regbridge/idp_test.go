package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeIdP is an identity provider offering the device authorization grant
// and the refresh grant to one public client, on loopback.
type fakeIdP struct {
	t        *testing.T
	srv      *httptest.Server
	clientID string

	mu sync.Mutex
	// answers are the device access token answers, in order: an RFC 8628
	// error code, or "" for success.
	answers []string
	// interval and expiresIn go into the device authorization response.
	interval, expiresIn int
	// noRefreshToken leaves the refresh token out of the success answer.
	noRefreshToken bool
	// refuseRefresh answers every refresh grant with invalid_grant.
	refuseRefresh bool
	// deviceForms and refreshForms are the token requests received.
	deviceForms  []url.Values
	refreshForms []url.Values
	// refreshToken is the one valid refresh token (rotated on each use).
	refreshToken string
	minted       int
}

func newFakeIdP(t *testing.T) *fakeIdP {
	t.Helper()
	p := &fakeIdP{t: t, clientID: "regbridge-cli", interval: 1, expiresIn: 600}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *fakeIdP) issuer() string { return p.srv.URL }

func (p *fakeIdP) serve(rw http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	rw.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/.well-known/openid-configuration":
		json.NewEncoder(rw).Encode(map[string]any{
			"issuer":                        p.issuer(),
			"device_authorization_endpoint": p.issuer() + "/device_authorization",
			"token_endpoint":                p.issuer() + "/oauth/token",
		})
	case "/device_authorization":
		r.ParseForm()
		if r.PostForm.Get("client_id") != p.clientID || !strings.Contains(r.PostForm.Get("scope"), "offline_access") {
			p.oauthError(rw, "invalid_request")
			return
		}
		json.NewEncoder(rw).Encode(map[string]any{
			"device_code": "device-code-1", "user_code": "WDJB-MJHT",
			"verification_uri": p.issuer() + "/device", "verification_uri_complete": p.issuer() + "/device?user_code=WDJB-MJHT",
			"expires_in": p.expiresIn, "interval": p.interval,
		})
	case "/oauth/token":
		r.ParseForm()
		switch f := r.PostForm; f.Get("grant_type") {
		case deviceGrant:
			p.deviceForms = append(p.deviceForms, f)
			if f.Get("device_code") != "device-code-1" || f.Get("client_id") != p.clientID || len(p.answers) == 0 {
				p.oauthError(rw, "invalid_grant")
				return
			}
			a := p.answers[0]
			p.answers = p.answers[1:]
			if a != "" {
				p.oauthError(rw, a)
				return
			}
			rt := ""
			if !p.noRefreshToken {
				rt = p.rotate()
			}
			p.tokens(rw, rt)
		case "refresh_token":
			p.refreshForms = append(p.refreshForms, f)
			if p.refuseRefresh || f.Get("refresh_token") != p.refreshToken || f.Get("client_id") != p.clientID {
				p.oauthError(rw, "invalid_grant")
				return
			}
			p.tokens(rw, p.rotate())
		default:
			p.oauthError(rw, "unsupported_grant_type")
		}
	default:
		http.NotFound(rw, r)
	}
}

// rotate issues a new refresh token; the previous one stops working.
func (p *fakeIdP) rotate() string {
	p.minted++
	p.refreshToken = fmt.Sprintf("refresh-%d", p.minted)
	return p.refreshToken
}

// idToken is the ID token issued with refresh token rt.
func (p *fakeIdP) idToken(rt string) string {
	return fakeJWT(p.t, map[string]any{"iss": p.issuer(), "aud": p.clientID, "sub": "id1", "rt": rt,
		"exp": time.Now().Add(time.Hour).Unix()})
}

func (p *fakeIdP) tokens(rw http.ResponseWriter, rt string) {
	ans := map[string]any{"access_token": "access-" + rt, "token_type": "Bearer", "expires_in": 300, "id_token": p.idToken(rt)}
	if rt != "" {
		ans["refresh_token"] = rt
	}
	json.NewEncoder(rw).Encode(ans)
}

func (p *fakeIdP) oauthError(rw http.ResponseWriter, code string) {
	rw.WriteHeader(http.StatusBadRequest)
	json.NewEncoder(rw).Encode(map[string]string{"error": code, "error_description": "fake IdP says " + code})
}

// fakeClock is the helper's clock and sleeper: sleeping advances the clock
// at once and is recorded.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.slept = append(c.slept, d)
	c.now = c.now.Add(d)
	return ctx.Err()
}

// loginWorld is a world whose regbridge names idp's device-flow client and
// whose helper has a fake clock and the registry configured for login.
func loginWorld(t *testing.T) (*world, *fakeIdP, *fakeClock) {
	t.Helper()
	w := newWorld(t)
	idp := newFakeIdP(t)
	clock := &fakeClock{now: testNow}
	w.h.now, w.h.sleep = clock.Now, clock.Sleep
	w.meta = func() any {
		return map[string]any{
			"token_endpoint": w.bridge.URL + "/token",
			"services": []any{map[string]any{
				"service":     w.service,
				"issuers":     []any{map[string]any{"issuer": idp.issuer(), "audiences": []string{idp.clientID}}},
				"device_flow": map[string]any{"issuer": idp.issuer(), "client_id": idp.clientID, "scopes": []string{"openid"}},
			}},
		}
	}
	w.configure(t, fmt.Sprintf("registries:\n  %s: {source: login, plain_http: true}\n", w.host))
	return w, idp, clock
}
