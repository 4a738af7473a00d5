package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// zitadelOP is a running zitadel/oidc example OpenID Provider (the
// loopback launcher of testdata/e2e/zitadelop).
type zitadelOP struct {
	Issuer string // http://127.0.0.1:PORT/ (the trailing slash is part of it)
	host   string // 127.0.0.1, the domain of the test user's login name
	proc   *proc
}

// zitadelCallback is the redirect URI registered for the clients "web" and
// "api"; nothing listens there, the code is read from the redirect.
const zitadelCallback = "http://localhost:9999/auth/callback"

// startZitadelOP starts the OP on a free loopback port and waits for its
// discovery document.
func startZitadelOP(t *testing.T) *zitadelOP {
	t.Helper()
	bin := needTool(t, toolZitadelOP)
	dir := t.TempDir()
	p, port := startServer(t, "zitadelop", dir, func(port int) serverSpec {
		addr := "127.0.0.1:" + itoa(port)
		return serverSpec{
			env:      append(baseEnv(dir), "ZOP_ADDR="+addr, "REDIRECT_URI="+zitadelCallback),
			bin:      bin,
			readyURL: "http://" + addr + "/.well-known/openid-configuration",
			ready:    http.StatusOK,
			timeout:  20 * time.Second,
		}
	})
	return &zitadelOP{Issuer: "http://127.0.0.1:" + itoa(port) + "/", host: "127.0.0.1", proc: p}
}

// zitadelTokens are the ID tokens of one non-interactive login.
type zitadelTokens struct {
	// CodeFlow is the ID token of the authorization code flow: aud ["web"].
	CodeFlow string
	// Exchanged is the RFC 8693 exchange of the access token for an ID
	// token with the requested audience: aud [audience, "web"].
	Exchanged string
	// Minted is when the exchange was answered (iat is at most this).
	Minted time.Time
}

// mint logs the test user in through the authorization code flow without a
// browser (docs/oidc.md, mint.sh) and exchanges the access token for an ID
// token carrying audience.
func (op *zitadelOP) mint(t *testing.T, audience string) zitadelTokens {
	t.Helper()
	client := &http.Client{
		Timeout: 10 * time.Second,
		// Every step answers with a redirect whose Location is the next
		// step's input; none is followed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	base := strings.TrimSuffix(op.Issuer, "/")

	// 1. Start an authorization request: redirect to the login page.
	q := url.Values{"client_id": {"web"}, "redirect_uri": {zitadelCallback}, "response_type": {"code"},
		"scope": {"openid profile"}, "state": {"s"}, "nonce": {"n"}}
	loc := redirectOf(t, client, http.MethodGet, base+"/auth?"+q.Encode(), nil)
	id := loc.Query().Get("authRequestID")
	if id == "" {
		t.Fatalf("zitadel: no authRequestID in %s", loc)
	}
	// 2. Log in: redirect to the callback of the auth request.
	form := url.Values{"username": {"test-user@" + op.host}, "password": {"verysecure"}, "id": {id}}
	loc = redirectOf(t, client, http.MethodPost, base+"/login/username", form)
	// 3. The callback: redirect to the client with the code.
	loc = redirectOf(t, client, http.MethodGet, loc.String(), nil)
	code := loc.Query().Get("code")
	if code == "" {
		t.Fatalf("zitadel: no code in %s", loc)
	}
	// 4. Redeem the code.
	var tok struct {
		AccessToken string `json:"access_token"`
		IDToken     string `json:"id_token"`
	}
	postToken(t, client, base, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {zitadelCallback}}, &tok)
	if tok.AccessToken == "" || tok.IDToken == "" {
		t.Fatalf("zitadel: code redeemed without an access token and an ID token")
	}
	// 5. Exchange the access token for an ID token for audience; without
	// scope=openid the exchanged token has no sub.
	var ex struct {
		AccessToken     string `json:"access_token"`
		IssuedTokenType string `json:"issued_token_type"`
	}
	postToken(t, client, base, url.Values{
		"grant_type":           {"urn:ietf:params:oauth:grant-type:token-exchange"},
		"subject_token":        {tok.AccessToken},
		"subject_token_type":   {"urn:ietf:params:oauth:token-type:access_token"},
		"requested_token_type": {"urn:ietf:params:oauth:token-type:id_token"},
		"audience":             {audience},
		"scope":                {"openid"},
	}, &ex)
	if ex.IssuedTokenType != "urn:ietf:params:oauth:token-type:id_token" || strings.Count(ex.AccessToken, ".") != 2 {
		t.Fatalf("zitadel: the exchange returned %q, not an ID token", ex.IssuedTokenType)
	}
	return zitadelTokens{CodeFlow: tok.IDToken, Exchanged: ex.AccessToken, Minted: time.Now()}
}

// redirectOf sends a request (a form when form is not nil) and returns the
// Location of the redirect it must answer with.
func redirectOf(t *testing.T, client *http.Client, method, u string, form url.Values) *url.URL {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("zitadel: %s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	loc, err := resp.Location()
	if resp.StatusCode/100 != 3 || err != nil {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		t.Fatalf("zitadel: %s %s: want a redirect, got %s: %s", method, u, resp.Status, b)
	}
	return loc
}

// postToken posts form to the OP's token endpoint as the client web and
// decodes the JSON answer into out.
func postToken(t *testing.T, client *http.Client, base string, form url.Values, out any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("web", "secret")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("zitadel: token endpoint: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("zitadel: token endpoint (%s): %s %s", form.Get("grant_type"), resp.Status, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("zitadel: token endpoint: %v: %s", err, b)
	}
}

// jwtClaims decodes the payload of a compact JWS without verifying it (for
// checking what a test token carries).
func jwtClaims(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %d parts", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("JWS payload: %v", err)
	}
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatalf("JWS payload: %v", err)
	}
	return c
}

// audOf returns the aud claim as a list.
func audOf(c map[string]any) []string {
	switch a := c["aud"].(type) {
	case string:
		return []string{a}
	case []any:
		out := make([]string, 0, len(a))
		for _, v := range a {
			out = append(out, fmt.Sprint(v))
		}
		return out
	}
	return nil
}
