package bridge

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/regbridge/regbridge/providers"
)

func TestParseTokenRequestAcceptsEveryClientShape(t *testing.T) {
	basic := func(r *http.Request) { r.SetBasicAuth("erin", "pw") }
	cases := []struct {
		name    string
		method  string
		target  string
		body    string
		auth    func(*http.Request)
		service string
		scopes  string
		account string
		client  string
		offline bool
		scheme  providers.Scheme
	}{
		{name: "crane anonymous push", method: "GET", target: "/token?scope=repository:foo/bar:push,pull&service=S",
			service: "S", scopes: "repository:foo/bar:pull,push"},
		{name: "crane mount with two scope params", method: "GET",
			target:  "/token?scope=repository:foo/baz:push,pull&scope=repository:foo/bar:pull&service=S",
			service: "S", scopes: "repository:foo/baz:pull,push repository:foo/bar:pull"},
		{name: "crane catalog", method: "GET", target: "/token?scope=registry:catalog:*&service=S",
			service: "S", scopes: "registry:catalog:*"},
		{name: "crane after a multi-scope challenge sends one param with a space and duplicates", method: "GET",
			target:  "/token?scope=repository:mnt/crane:pull,push+repository:foo/bar:pull&scope=repository:mnt/crane:push,pull&scope=repository:foo/bar:pull&service=S",
			service: "S", scopes: "repository:mnt/crane:pull,push repository:foo/bar:pull"},
		{name: "skopeo with account and Basic", method: "GET", target: "/token?account=erin&scope=repository:sk/one:pull,push&service=S",
			auth: basic, service: "S", scopes: "repository:sk/one:pull,push", account: "erin", scheme: providers.SchemeBasic},
		{name: "skopeo delete asks for star", method: "GET", target: "/token?scope=repository:sk/one:*&service=S",
			service: "S", scopes: "repository:sk/one:*"},
		{name: "docker login probe", method: "GET", target: "/token?account=erin&client_id=docker&offline_token=true&service=S",
			auth: basic, service: "S", account: "erin", client: "docker", offline: true, scheme: providers.SchemeBasic},
		{name: "oras login probe", method: "GET", target: "/token?service=S", auth: basic, service: "S", scheme: providers.SchemeBasic},
		{name: "plugin resource class is ignored", method: "GET", target: "/token?scope=repository(plugin):foo/bar:pull&service=S",
			service: "S", scopes: "repository:foo/bar:pull"},
		{name: "name with registry host and port", method: "GET", target: "/token?scope=repository:localhost:5000/foo/bar:pull&service=S",
			service: "S", scopes: "repository:localhost:5000/foo/bar:pull"},
		{name: "POST password grant with space-joined scopes", method: "POST", target: "/token",
			body:    "grant_type=password&username=erin&password=pw&client_id=oras-go&scope=repository%3Aa%2Fb%3Apull+repository%3Ac%2Fd%3Apush&service=S",
			service: "S", scopes: "repository:a/b:pull repository:c/d:push", client: "oras-go", scheme: providers.SchemeBasic},
		{name: "POST password grant with repeated scopes (containers/image form)", method: "POST", target: "/token",
			body:    "grant_type=password&username=erin&password=pw&scope=repository%3Aa%2Fb%3Apull&scope=repository%3Aa%2Fb%3Apush&service=S&access_type=offline",
			service: "S", scopes: "repository:a/b:pull,push", offline: true, scheme: providers.SchemeBasic},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body))
			if tc.method == "POST" {
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			if tc.auth != nil {
				tc.auth(r)
			}
			req, err := ParseTokenRequest(r, Limits{}.WithDefaults())
			if err != nil {
				t.Fatal(err)
			}
			if req.Service != tc.service || scopeString(req.Scopes) != tc.scopes || req.Account != tc.account ||
				req.ClientID != tc.client || req.Offline != tc.offline || req.Credential.Scheme != tc.scheme {
				t.Errorf("got service=%q scopes=%q account=%q client=%q offline=%v scheme=%q",
					req.Service, scopeString(req.Scopes), req.Account, req.ClientID, req.Offline, req.Credential.Scheme)
			}
		})
	}
}

func TestParseTokenRequestRejectsMalformedInput(t *testing.T) {
	cases := []struct {
		name   string
		method string
		target string
		body   string
		ctype  string
		auth   string
		status int
		oauth  string
		msg    string
	}{
		{name: "bad scope names the scope", method: "GET", target: "/token?scope=repository:Foo:pull", status: 400, msg: `"repository:Foo:pull"`},
		{name: "unknown action", method: "GET", target: "/token?scope=repository:foo:fly", status: 400, msg: "fly"},
		{name: "too many scopes", method: "GET", target: "/token?" + strings.Repeat("scope=repository:a:pull&", 65), status: 400, msg: "more than 64"},
		{name: "oversized query", method: "GET", target: "/token?scope=" + strings.Repeat("a", 9000), status: 414, msg: "query"},
		{name: "two different services", method: "GET", target: "/token?service=a&service=b", status: 400, msg: "service"},
		{name: "two Authorization headers", method: "GET", target: "/token", auth: "twice", status: 400, msg: "more than one"},
		{name: "Basic that is not base64", method: "GET", target: "/token", auth: "Basic !!!", status: 400, msg: "base64"},
		{name: "unknown scheme", method: "GET", target: "/token", auth: "Digest abc", status: 400, msg: "Digest"},
		{name: "POST refresh grant without a refresh_token", method: "POST", target: "/token", body: "grant_type=refresh_token&service=S", status: 400, oauth: "invalid_request"},
		{name: "POST refresh grant with an Authorization header too", method: "POST", target: "/token", body: "grant_type=refresh_token&refresh_token=x", auth: "Bearer abc", status: 400, msg: "both"},
		{name: "POST unknown grant", method: "POST", target: "/token", body: "grant_type=client_credentials", status: 400, oauth: "unsupported_grant_type"},
		{name: "POST without grant type", method: "POST", target: "/token", body: "service=S", status: 400, oauth: "invalid_request"},
		{name: "POST with JSON body", method: "POST", target: "/token", body: "{}", ctype: "application/json", status: 415},
		{name: "POST body too large", method: "POST", target: "/token", body: "grant_type=password&password=" + strings.Repeat("a", 70<<10), status: 413},
		{name: "POST password too long", method: "POST", target: "/token", body: "grant_type=password&username=u&password=" + strings.Repeat("a", 17<<10), status: 400, msg: "password longer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body))
			if tc.method == "POST" {
				ct := tc.ctype
				if ct == "" {
					ct = "application/x-www-form-urlencoded"
				}
				r.Header.Set("Content-Type", ct)
			}
			switch tc.auth {
			case "":
			case "twice":
				r.Header.Add("Authorization", "Bearer a")
				r.Header.Add("Authorization", "Bearer b")
			default:
				r.Header.Set("Authorization", tc.auth)
			}
			_, err := ParseTokenRequest(r, Limits{}.WithDefaults())
			var re *RequestError
			if !errors.As(err, &re) {
				t.Fatalf("got %v, want a RequestError", err)
			}
			if re.Status != tc.status {
				t.Errorf("status %d, want %d (%s)", re.Status, tc.status, re.Message)
			}
			if tc.oauth != "" && re.OAuth != tc.oauth {
				t.Errorf("oauth error %q, want %q", re.OAuth, tc.oauth)
			}
			if !strings.Contains(re.Message, tc.msg) {
				t.Errorf("message %q does not name %q", re.Message, tc.msg)
			}
		})
	}
}

func FuzzParseTokenRequest(f *testing.F) {
	f.Add("GET", "scope=repository:foo/bar:push,pull&service=S", "", "Basic ZXJpbjpwdw==")
	f.Add("GET", "account=erin&client_id=docker&offline_token=true&service=S", "", "")
	f.Add("POST", "", "grant_type=password&username=a&password=b&scope=repository:a:pull+registry:catalog:*", "")
	f.Add("POST", "", "grant_type=refresh_token&refresh_token=x&service=S", "Bearer abc")
	f.Add("GET", "scope=repository(plugin):a/b:pull&scope=repository:localhost:5000/x:*", "", "DPoP a.b.c")
	f.Fuzz(func(t *testing.T, method, query, body, auth string) {
		if method != "GET" {
			method = "POST"
		}
		r, err := http.NewRequest(method, "http://x/token", strings.NewReader(body))
		if err != nil {
			return
		}
		r.URL.RawQuery = query
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		req, err := ParseTokenRequest(r, Limits{}.WithDefaults())
		if err != nil {
			var re *RequestError
			if !errors.As(err, &re) || re.Status < 400 || re.Status > 499 || re.Message == "" {
				t.Fatalf("error %v is not a 4xx RequestError with a message", err)
			}
			return
		}
		if len(req.Scopes) > 64 {
			t.Fatalf("%d scopes passed the cap", len(req.Scopes))
		}
		for _, s := range req.Scopes {
			if len(s.Actions) == 0 {
				t.Fatalf("scope %v without actions", s)
			}
		}
	})
}
