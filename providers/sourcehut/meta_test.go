package sourcehut

import (
	"context"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/sourcehut/srhttest"
	"github.com/regbridge/regbridge/providers/upstream"
)

func TestEveryOutageShapeIsUnavailableNeverAnIdentity(t *testing.T) {
	tests := []struct {
		name      string
		fault     srhttest.Fault
		wantRetry time.Duration
	}{
		{"meta slower than the timeout", srhttest.FaultSlow, defaultRetryAfter},
		{"502 with an HTML page", srhttest.FaultBadGateway, defaultRetryAfter},
		{"503 with an HTML page honours Retry-After", srhttest.FaultServiceUnavailable, 7 * time.Second},
		{"504 with an HTML page", srhttest.FaultGatewayTimeout, defaultRetryAfter},
		{"500 Temporary error", srhttest.FaultInternal, defaultRetryAfter},
		{"429 honours Retry-After", srhttest.FaultTooManyRequests, 9 * time.Second},
		{"200 with an HTML page", srhttest.FaultHTML, defaultRetryAfter},
		{"200 with an empty body", srhttest.FaultEmpty, defaultRetryAfter},
		{"200 with a truncated body", srhttest.FaultTruncated, defaultRetryAfter},
		{"200 with an oversized body", srhttest.FaultOversized, defaultRetryAfter},
		{"a redirect", srhttest.FaultRedirect, defaultRetryAfter},
		{"a reset connection", srhttest.FaultReset, defaultRetryAfter},
		{"a meta_url that skips authentication (api-meta.json answers 200)", srhttest.FaultAPIMeta, defaultRetryAfter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(c *Config) { c.Timeout = 200 * time.Millisecond }, srhttest.Options{SlowDelay: 5 * time.Second})
			f.meta.SetFault(tt.fault)
			start := time.Now()
			id, err := f.auth(vecT1)
			wantUnavailable(t, err)
			if id.Username != "" {
				t.Errorf("identity %+v returned with an error", id)
			}
			var ue *providers.UnavailableError
			errors.As(err, &ue)
			if ue.RetryAfter != tt.wantRetry {
				t.Errorf("RetryAfter = %v, want %v", ue.RetryAfter, tt.wantRetry)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v, want about the 200ms timeout", d)
			}
		})
	}
}

func TestUnknownUserAtMetaIsUnavailable(t *testing.T) {
	f := newFixture(t, nil, srhttest.Options{Users: []srhttest.User{}})
	_, err := f.auth(vecT1)
	wantUnavailable(t, err)
}

func TestMetaDownIsUnavailable(t *testing.T) {
	u, err := srhttest.ClosedURL()
	if err != nil {
		t.Fatal(err)
	}
	p, err := New("s", Config{MetaURL: u, RegistryDomain: domain}, providers.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Authenticate(context.Background(), basic(vecT1))
	wantUnavailable(t, err)
}

func TestRedirectIsRefusedAndTheTokenIsNotForwarded(t *testing.T) {
	var leaked atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			leaked.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"data":{"version":{"major":0,"minor":0,"patch":0}}}`))
	}))
	defer other.Close()
	f := newFixture(t, nil, srhttest.Options{RedirectTo: other.URL + "/query"})
	f.meta.SetFault(srhttest.FaultRedirect)
	_, err := f.auth(vecT1)
	wantUnavailable(t, err)
	if !errors.Is(err, upstream.ErrRedirect) {
		t.Errorf("err = %v, want it to wrap upstream.ErrRedirect", err)
	}
	if leaked.Load() != 0 {
		t.Errorf("the redirect target saw the token %d times", leaked.Load())
	}
}

func TestMetaAnswersAreReadStrictly(t *testing.T) {
	tests := []struct {
		name   string
		status int
		ctype  string
		body   string
		want   error
	}{
		{"the version document is valid", 200, "application/json", `{"data":{"version":{"major":0,"minor":0,"patch":0}}}`, nil},
		{"a newer version document with more fields is valid", 200, "application/json", `{"data":{"version":{"major":1,"minor":2,"patch":3,"buildVersion":"x"}}}`, nil},
		{"200 with errors is not valid", 200, "application/json", `{"errors":[{"message":"Access denied for invalid auth method","path":["version"]}],"data":null}`, providers.ErrUnavailable},
		{"200 with errors beside data is not valid", 200, "application/json", `{"errors":[{"message":"x"}],"data":{"version":{"major":0}}}`, providers.ErrUnavailable},
		{"200 with a string major is not valid", 200, "application/json", `{"data":{"version":{"major":"0"}}}`, providers.ErrUnavailable},
		{"200 with null data is not valid", 200, "application/json", `{"data":null}`, providers.ErrUnavailable},
		{"200 with a JSON array is not valid", 200, "application/json", `[]`, providers.ErrUnavailable},
		{"200 with trailing garbage is not valid", 200, "application/json", `{"data":{"version":{"major":0}}} x`, providers.ErrUnavailable},
		{"401 with meta's error document is a refusal", 401, "application/json", `{"errors":[{"message":"Authentication error: x"}]}`, providers.ErrInvalidCredential},
		{"400 with meta's error document is a refusal", 400, "application/json", `{"errors":[{"message":"Authentication error: Invalid OAuth bearer token"}]}`, providers.ErrInvalidCredential},
		{"403 with an HTML page (a proxy, not meta) is unavailable", 403, "text/html", `<html>Forbidden</html>`, providers.ErrUnavailable},
		{"404 is unavailable", 404, "text/plain", `not found`, providers.ErrUnavailable},
		{"422 is unavailable", 422, "application/json", `{"errors":[{"message":"Cannot query field"}],"data":null}`, providers.ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.ctype)
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			p, err := New("s", Config{MetaURL: srv.URL, RegistryDomain: domain}, providers.Deps{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = p.Authenticate(context.Background(), basic(vecT1))
			switch tt.want {
			case nil:
				if err != nil {
					t.Fatalf("err = %v, want nil", err)
				}
			case providers.ErrInvalidCredential:
				wantInvalid(t, err)
			default:
				wantUnavailable(t, err)
			}
		})
	}
}

func TestRetryAfterIsBounded(t *testing.T) {
	for in, want := range map[string]time.Duration{"": 0, "x": 0, "-3": 0, "0": 0, "9": 9 * time.Second, "86400": maxRetryAfter} {
		if got := retryAfter(in); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestMetaRefusalsAreInvalidCredentials(t *testing.T) {
	tests := []struct {
		name  string
		setup func(f *fixture) string
	}{
		{"X8, a bad MAC (meta 403)", func(*fixture) string { return vecX8 }},
		{"a token minted with another key (meta 403)", func(f *fixture) string {
			m, err := srhttest.NewMinter("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
			if err != nil {
				panic(err)
			}
			return m.Mint(srhttest.Token{Expires: 2000000000, Grants: "registry.example.com/REGISTRY:RW", Username: "jdoe"})
		}},
		{"a revoked token (meta 403)", func(f *fixture) string {
			tok := f.mint("registry.example.com/REGISTRY:RW")
			f.meta.Revoke(tok)
			return tok
		}},
		{"a revoked OAuth client (meta 403)", func(f *fixture) string {
			tok := f.meta.Mint(srhttest.Token{Expires: 2000000000, Grants: "registry.example.com/REGISTRY:RW", ClientID: clientC, Username: "jdoe"})
			f.meta.RevokeClient(clientC)
			return tok
		}},
		{"a suspended user (meta 403 with a notice)", func(f *fixture) string {
			return f.meta.MintBuilds("suspect", "registry.example.com/REGISTRY:RW", time.Hour)
		}},
		{"a user suspended after the token was minted", func(f *fixture) string {
			tok := f.mint("registry.example.com/REGISTRY:RW")
			f.meta.Suspend("jdoe", "late")
			return tok
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil, srhttest.Options{})
			tok := tt.setup(f)
			_, err := f.auth(tok)
			wantInvalid(t, err)
			if !errors.Is(err, errRejected) {
				t.Errorf("err = %v, want a refusal by meta", err)
			}
			if n := f.meta.CountToken(tok); n != 1 {
				t.Errorf("meta saw the token %d times, want 1", n)
			}
		})
	}
}

func TestTheRequestToMetaIsExact(t *testing.T) {
	f := newFixture(t, nil, srhttest.Options{})
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(f.meta.URL)
	jar.SetCookies(u, []*http.Cookie{{Name: "sr.ht.unified-login.v1", Value: "session"}})
	p, err := New("s", Config{MetaURL: f.meta.URL + "/", RegistryDomain: domain}, providers.Deps{HTTPClient: &http.Client{Jar: jar}, Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Authenticate(context.Background(), basic(vecX5)); err != nil {
		t.Fatal(err)
	}
	reqs := f.meta.Requests()
	if len(reqs) != 1 {
		t.Fatalf("meta saw %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	checks := []struct{ what, got, want string }{
		{"method", r.Method, http.MethodPost},
		{"path", r.Path, "/query"},
		{"Authorization", r.Header.Get("Authorization"), "Bearer " + vecX5},
		{"Content-Type", r.Header.Get("Content-Type"), "application/json"},
		{"Cookie", r.Header.Get("Cookie"), ""},
		{"body", r.Body, `{"query":"{ version { major minor patch } }"}`},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
}
