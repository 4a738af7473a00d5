package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// RFC 8693 identifiers used by the exchange endpoint.
const (
	grantTokenExchange  = "urn:ietf:params:oauth:grant-type:token-exchange"
	tokenTypeAccessTok  = "urn:ietf:params:oauth:token-type:access_token"
	issuedTokenTypeJWT  = "urn:ietf:params:oauth:token-type:jwt"
	exchangePath        = "/oauth2/token"
	registryTokenHeader = "registrytoken"
)

// exchangeAnswer is what POST /oauth2/token said.
type exchangeAnswer struct {
	code int
	// challenge is WWW-Authenticate, for refusals.
	challenge string
	body      string
	// Set on success.
	AccessToken     string `json:"access_token"`
	IssuedTokenType string `json:"issued_token_type"`
	TokenType       string `json:"token_type"`
	ExpiresIn       int    `json:"expires_in"`
	Scope           string `json:"scope"`
}

// Exchange posts an RFC 8693 token exchange of an access token for a
// registry token for service and scopes. header adds request headers (a
// DPoP proof).
func (b *Bridge) Exchange(t *testing.T, subjectToken, service string, scopes []string, header http.Header) exchangeAnswer {
	t.Helper()
	form := url.Values{
		"grant_type":         {grantTokenExchange},
		"subject_token":      {subjectToken},
		"subject_token_type": {tokenTypeAccessTok},
		"audience":           {service},
	}
	if len(scopes) > 0 {
		form.Set("scope", strings.Join(scopes, " "))
	}
	req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:"+itoa(b.Port)+exchangePath, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	return doExchange(t, req)
}

func doExchange(t *testing.T, req *http.Request) exchangeAnswer {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatal(err)
	}
	a := exchangeAnswer{code: resp.StatusCode, challenge: resp.Header.Get("WWW-Authenticate"), body: string(body)}
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, &a); err != nil {
			t.Fatalf("%s: %v: %s", req.URL.Path, err, body)
		}
	}
	return a
}

// MustExchange is Exchange for a request that must succeed; it returns the
// registry token and checks the RFC 8693 response fields.
func (b *Bridge) MustExchange(t *testing.T, subjectToken, service string, scopes []string, header http.Header) string {
	t.Helper()
	a := b.Exchange(t, subjectToken, service, scopes, header)
	if a.code != http.StatusOK {
		t.Fatalf("POST %s: %d %s %s", exchangePath, a.code, a.challenge, a.body)
	}
	if a.AccessToken == "" || a.IssuedTokenType != issuedTokenTypeJWT || !strings.EqualFold(a.TokenType, "Bearer") {
		t.Fatalf("POST %s: not an RFC 8693 answer with a registry JWT: %s", exchangePath, a.body)
	}
	return a.AccessToken
}

// UseRegistryToken writes the client's credentials file (docker
// config.json for crane, oras.json for oras; the same format) so that it
// gives host the registry token itself (`registrytoken`): the client sends
// it as the Bearer token without asking the token server
// (registry-protocol.md §4.1).
func (c *Client) UseRegistryToken(t *testing.T, host, token string) {
	t.Helper()
	cfg, err := json.Marshal(map[string]any{"auths": map[string]any{host: map[string]string{registryTokenHeader: token}}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(c.Home, "docker", "config.json")
	if c.Tool.name == toolOras.name {
		path = filepath.Join(c.Home, "oras.json")
	}
	writeFile(t, path, string(cfg))
}
