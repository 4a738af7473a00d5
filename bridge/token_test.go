package bridge

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
)

func TestAnonymousRequestGetsPublicPullOnly(t *testing.T) {
	e := newTestEnv(t, testPolicy)
	w := e.get(t, "service=registry.test&scope=repository:public/app:pull,push&scope=repository:alice/app:pull", "", "")
	body, c, _ := decodeToken(t, w, e.key)
	if got, want := granted(c), "repository:public/app:pull"; got != want {
		t.Errorf("granted %q, want %q", got, want)
	}
	if c.Subject != "" {
		t.Errorf("anonymous sub %q, want empty", c.Subject)
	}
	if body.ExpiresIn != 300 || body.IssuedAt != "2026-11-30T12:00:00Z" {
		t.Errorf("expires_in %d issued_at %q", body.ExpiresIn, body.IssuedAt)
	}
}

func TestAuthenticatedUserGetsOwnAndPublicAccess(t *testing.T) {
	e := newTestEnv(t, testPolicy)
	w := e.get(t, "service=registry.test&scope=repository:alice/app:push,pull&scope=repository:public/x:pull&scope=repository:bob/app:push", "alice", "alice-pw")
	_, c, _ := decodeToken(t, w, e.key)
	if got, want := granted(c), "repository:alice/app:pull,push repository:public/x:pull"; got != want {
		t.Errorf("granted %q, want %q", got, want)
	}
	if c.Subject != "alice" {
		t.Errorf("sub %q", c.Subject)
	}
}

func TestCatalogNeedsLiteralStarGrant(t *testing.T) {
	e := newTestEnv(t, testPolicy)
	_, c, _ := decodeToken(t, e.get(t, "service=registry.test&scope=registry:catalog:*", "admin", "admin-pw"), e.key)
	if got := granted(c); got != "registry:catalog:*" {
		t.Errorf("admin granted %q", got)
	}
	_, c, _ = decodeToken(t, e.get(t, "service=registry.test&scope=registry:catalog:*", "alice", "alice-pw"), e.key)
	if got := granted(c); got != "" {
		t.Errorf("alice granted %q", got)
	}
}

func TestPostPasswordGrantAnswersWithAccessTokenAndScope(t *testing.T) {
	e := newTestEnv(t, testPolicy)
	w := e.post(t, "/token", url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"alice-pw"},
		"service": {"registry.test"}, "client_id": {"x"}, "scope": {"repository:alice/a:pull repository:bob/b:pull"}})
	body, _, _ := decodeToken(t, w, e.key)
	if body.Scope != "repository:alice/a:pull" {
		t.Errorf("scope %q", body.Scope)
	}
}

func TestUnknownPathsAndMethodsAnswer404(t *testing.T) {
	e := newTestEnv(t, testPolicy)
	for _, tc := range []struct{ method, path string }{{"GET", "/nope"}, {"PUT", "/token"}, {"DELETE", "/token"}, {"GET", "/oauth2/token"}} {
		w := httptest.NewRecorder()
		e.srv.ServeHTTP(w, httptest.NewRequest(tc.method, tc.path, nil))
		if w.Code != http.StatusNotFound {
			t.Errorf("%s %s: status %d, want 404", tc.method, tc.path, w.Code)
		}
	}
}

func TestUnknownServiceIsRefusedByName(t *testing.T) {
	e := newTestEnv(t, testPolicy)
	w := e.get(t, "service=other.example&scope=repository:public/a:pull", "", "")
	if w.Code != 400 || !strings.Contains(w.Body.String(), `other.example`) {
		t.Fatalf("status %d body %s", w.Code, w.Body)
	}
}

func TestAudienceAndIssuerComeFromConfigNotRequest(t *testing.T) {
	e := newTestEnv(t, testPolicy)
	w := e.get(t, "service=registry.test&aud=evil&iss=evil&audience=evil&issuer=evil&scope=repository:public/a:pull", "", "")
	_, c, raw := decodeToken(t, w, e.key)
	if c.Audience != "registry.test" || c.Issuer != "regbridge-test" {
		t.Errorf("aud %q iss %q", c.Audience, c.Issuer)
	}
	if _, isString := raw["aud"].(string); !isString {
		t.Errorf("aud is %T, want a JSON string (distribution 2.8 refuses arrays)", raw["aud"])
	}
}

func TestBadCredentialsNeverYieldAnAnonymousToken(t *testing.T) {
	e := newTestEnv(t, testPolicy)
	cases := []struct{ name, user, pass string }{
		{"wrong password", "alice", "nope"},
		{"unknown user", "mallory", "x"},
		{"empty password", "alice", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := e.get(t, "service=registry.test&scope=repository:public/a:pull", tc.user, tc.pass)
			if w.Code != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401: %s", w.Code, w.Body)
			}
			if strings.Contains(w.Body.String(), `"token"`) {
				t.Fatal("a 401 carried a token")
			}
			if !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Basic realm=") {
				t.Errorf("WWW-Authenticate %q", w.Header().Get("WWW-Authenticate"))
			}
			var body errorBody
			json.Unmarshal(w.Body.Bytes(), &body)
			if len(body.Errors) != 1 || body.Errors[0].Code != "UNAUTHORIZED" || body.Details == "" {
				t.Errorf("body %s", w.Body)
			}
		})
	}
}

func TestProviderOutageAnswers503WithRetryAfterAndIsNotCached(t *testing.T) {
	e := newTestEnv(t, testPolicy)
	e.prov.err = &providers.UnavailableError{RetryAfter: 7 * time.Second, Err: errors.New("meta down")}
	for i := 0; i < 3; i++ {
		w := e.get(t, "service=registry.test", "alice", "alice-pw")
		if w.Code != 503 || w.Header().Get("Retry-After") != "7" {
			t.Fatalf("status %d Retry-After %q", w.Code, w.Header().Get("Retry-After"))
		}
		if strings.Contains(w.Body.String(), "meta down") {
			t.Error("provider detail leaked to the client")
		}
	}
	if got := e.prov.calls.Load(); got != 3 {
		t.Errorf("provider called %d times, want 3 (outages are never cached)", got)
	}
	e.prov.err = nil
	if w := e.get(t, "service=registry.test", "alice", "alice-pw"); w.Code != 200 {
		t.Errorf("after recovery: status %d", w.Code)
	}
}

func TestTokenIDsAreUniqueAcross10000Tokens(t *testing.T) {
	e := newTestEnv(t, testPolicy)
	m := e.srv.State().services["registry.test"].minter
	seen := make(map[string]bool, 10000)
	for i := 0; i < 10000; i++ {
		id, err := m.NewID()
		if err != nil {
			t.Fatal(err)
		}
		if seen[id] || len(id) != 32 {
			t.Fatalf("token id %q repeated or short after %d ids", id, i)
		}
		seen[id] = true
	}
	// And through the whole handler.
	ids := map[string]bool{}
	for i := 0; i < 200; i++ {
		_, c, _ := decodeToken(t, e.get(t, "service=registry.test", "", ""), e.key)
		if ids[c.ID] {
			t.Fatalf("jti %q repeated", c.ID)
		}
		ids[c.ID] = true
	}
}

func TestSecretsNeverAppearInLogsOrEvents(t *testing.T) {
	e := newTestEnv(t, testPolicy)
	const secret = "s3cr3t-Pa55word-do-not-log"
	e.prov.users["carol"] = secret
	e.get(t, "service=registry.test&scope=repository:public/a:pull", "carol", secret)
	e.get(t, "service=registry.test", "carol", secret+"x")
	e.get(t, "service=registry.test", "nobody", secret)
	r := httptest.NewRequest("GET", "/token?service=registry.test", nil)
	r.Header.Set("Authorization", "Bearer "+secret)
	e.srv.ServeHTTP(httptest.NewRecorder(), r)
	ev := fmt.Sprintf("%+v", e.events.ev)
	if strings.Contains(e.logBuf.String(), secret) || strings.Contains(ev, secret) {
		t.Fatalf("secret found in logs or events:\n%s\n%s", e.logBuf, ev)
	}
	if e.logBuf.Len() == 0 {
		t.Fatal("nothing was logged; the test would pass vacuously")
	}
}

func TestOversizedInputIsRejectedWithoutReachingAProvider(t *testing.T) {
	e := newTestEnv(t, testPolicy)
	big := strings.Repeat("x", 20<<10)
	cases := []struct {
		name string
		req  *http.Request
	}{
		{"huge Basic password", func() *http.Request {
			r := httptest.NewRequest("GET", "/token?service=registry.test", nil)
			r.SetBasicAuth("alice", big)
			return r
		}()},
		{"huge query", httptest.NewRequest("GET", "/token?service=registry.test&scope="+big, nil)},
		{"huge form body", func() *http.Request {
			r := httptest.NewRequest("POST", "/token", strings.NewReader("grant_type=password&username=alice&password="+strings.Repeat(big, 5)))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}()},
		{"too many scopes", httptest.NewRequest("GET", "/token?service=registry.test"+strings.Repeat("&scope=repository:a:pull", 100), nil)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			e.srv.ServeHTTP(w, tc.req)
			if w.Code < 400 || w.Code > 499 {
				t.Errorf("status %d, want 4xx", w.Code)
			}
		})
	}
	if n := e.prov.calls.Load(); n != 0 {
		t.Errorf("provider was called %d times", n)
	}
}

func TestAccountMustMatchTheAuthenticatedLocalUser(t *testing.T) {
	e := newTestEnv(t, testPolicy)
	if w := e.get(t, "service=registry.test&account=alice", "alice", "alice-pw"); w.Code != 200 {
		t.Errorf("matching account: %d", w.Code)
	}
	if w := e.get(t, "service=registry.test&account=bob", "alice", "alice-pw"); w.Code != 400 {
		t.Errorf("mismatching account: %d, want 400", w.Code)
	}
}

func TestRepeatedLoginsPayOneProviderCallPerCacheTTL(t *testing.T) {
	e := newTestEnv(t, testPolicy)
	for i := 0; i < 50; i++ {
		e.get(t, "service=registry.test&scope=repository:alice/a:pull", "alice", "alice-pw")
		e.get(t, "service=registry.test", "alice", "wrong")
	}
	if got := e.prov.calls.Load(); got != 2 {
		t.Errorf("provider calls %d, want 2 (one positive, one negative)", got)
	}
}

func TestConcurrentMissesMakeOneProviderCall(t *testing.T) {
	e := newTestEnv(t, testPolicy)
	e.prov.delay = 50 * time.Millisecond
	var wg sync.WaitGroup
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if w := e.get(t, "service=registry.test", "alice", "alice-pw"); w.Code != 200 {
				t.Errorf("status %d", w.Code)
			}
		}()
	}
	wg.Wait()
	if got := e.prov.calls.Load(); got != 1 {
		t.Errorf("provider calls %d, want 1", got)
	}
}

func TestTokenNeverOutlivesTheCredential(t *testing.T) {
	e := newTestEnv(t, testPolicy)
	e.prov.expiry = testNow.Add(90 * time.Second)
	body, c, _ := decodeToken(t, e.get(t, "service=registry.test", "alice", "alice-pw"), e.key)
	if body.ExpiresIn != 90 || c.Expiry != testNow.Add(90*time.Second).Unix() {
		t.Errorf("expires_in %d exp %d", body.ExpiresIn, c.Expiry)
	}
	e2 := newTestEnv(t, testPolicy)
	e2.prov.expiry = testNow.Add(30 * time.Second)
	if w := e2.get(t, "service=registry.test", "alice", "alice-pw"); w.Code != 401 {
		t.Errorf("credential with 30 s left: status %d, want 401", w.Code)
	}
}

func TestExchangeEndpointIssuesARegistryToken(t *testing.T) {
	e := newTestEnv(t, testPolicy)
	w := e.post(t, "/oauth2/token", url.Values{"grant_type": {GrantTokenExchange}, "subject_token": {"opaque"},
		"subject_token_type": {TokenTypeAccessToken}, "audience": {"registry.test"}})
	if w.Code != 401 {
		t.Fatalf("opaque token with no provider for it: status %d, want 401", w.Code)
	}
	w = e.post(t, "/oauth2/token", url.Values{"grant_type": {"password"}})
	if w.Code != 400 || !strings.Contains(w.Body.String(), "unsupported_grant_type") {
		t.Fatalf("status %d body %s", w.Code, w.Body)
	}
}

func TestProviderChallengesSetStatusHeadersAndOAuthError(t *testing.T) {
	e := newTestEnv(t, testPolicy)
	e.prov.err = &providers.ChallengeError{
		Scheme: "DPoP",
		Params: [][2]string{{"error", "use_dpop_nonce"}, {"error_description", "a server nonce is required"}},
		Header: map[string]string{"DPoP-Nonce": "n-1"},
		Status: http.StatusBadRequest,
		Err:    providers.ErrInvalidCredential,
	}
	w := e.get(t, "service=registry.test", "alice", "alice-pw")
	if w.Code != 400 || w.Header().Get("DPoP-Nonce") != "n-1" ||
		w.Header().Get("WWW-Authenticate") != `DPoP error="use_dpop_nonce", error_description="a server nonce is required"` {
		t.Fatalf("status %d headers %v", w.Code, w.Header())
	}
	var body errorBody
	json.Unmarshal(w.Body.Bytes(), &body)
	if body.Error != "use_dpop_nonce" || body.ErrorDescription != "a server nonce is required" {
		t.Errorf("body %s", w.Body)
	}
	e.prov.err = &providers.ChallengeError{Scheme: "Bearer", Params: [][2]string{{"error", "insufficient_scope"}},
		Status: http.StatusForbidden, Err: providers.ErrInvalidCredential}
	if w := e.get(t, "service=registry.test", "bob", "bob-pw"); w.Code != 403 || !strings.Contains(w.Body.String(), `"DENIED"`) {
		t.Errorf("insufficient_scope: status %d body %s", w.Code, w.Body)
	}
}
