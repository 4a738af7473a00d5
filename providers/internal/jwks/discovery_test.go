package jwks

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
)

func TestDiscoveryRefusesAJWKSURIOffTheIssuersOriginAndNeverContactsIt(t *testing.T) {
	var hits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		http.NotFound(w, nil)
	}))
	defer other.Close()
	for name, jwksURI := range map[string]string{
		"another host":      other.URL + "/keys",
		"the metadata host": "http://169.254.169.254/latest/meta-data",
		"IPv6 loopback":     "http://[::1]:1/keys",
		"credentials":       "http://user:pw@127.0.0.1/keys",
		"another scheme":    "ftp://127.0.0.1/keys",
		"not a URL":         "http://%zz",
	} {
		t.Run(name, func(t *testing.T) {
			is, c := newIssuer(t), newClock()
			is.publish(ecKey(t, "k"))
			is.jwksURI = jwksURI
			if strings.Contains(jwksURI, "user:pw@127.0.0.1") {
				is.jwksURI = strings.Replace(is.URL(), "http://", "http://user:pw@", 1) + keysPath
			}
			_, err := lookup(discoverySet(t, is, c, nil), "k")
			if !errors.Is(err, providers.ErrUnavailable) {
				t.Fatalf("err = %v, want ErrUnavailable", err)
			}
			if n := is.requests(keysPath); n != 0 {
				t.Errorf("JWKS requests = %d, want 0", n)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the other host saw %d requests, want 0", n)
	}
}

func TestDiscoveryRefusesADocumentNamingAnotherIssuer(t *testing.T) {
	for name, named := range map[string]func(string) string{
		"a trailing slash added": func(iss string) string { return iss + "/" },
		"another host":           func(string) string { return "https://evil.example" },
		"no issuer":              func(string) string { return " " },
	} {
		t.Run(name, func(t *testing.T) {
			is, c := newIssuer(t), newClock()
			is.publish(ecKey(t, "k"))
			is.name = named(is.URL())
			if _, err := lookup(discoverySet(t, is, c, nil), "k"); !errors.Is(err, providers.ErrUnavailable) {
				t.Fatalf("err = %v, want ErrUnavailable", err)
			}
			if n := is.requests(keysPath); n != 0 {
				t.Errorf("JWKS requests = %d, want 0", n)
			}
		})
	}
}

func TestRedirectsAreNeverFollowed(t *testing.T) {
	var hits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { hits.Add(1) }))
	defer other.Close()
	for _, path := range []string{discoveryPath, keysPath} {
		t.Run(path, func(t *testing.T) {
			is, c := newIssuer(t), newClock()
			is.publish(ecKey(t, "k"))
			is.handle(path, http.RedirectHandler(other.URL+path, http.StatusFound))
			// A client that follows redirects is given: the set must refuse them anyway.
			s := discoverySet(t, is, c, func(o *Options) { o.HTTPClient = &http.Client{} })
			if _, err := lookup(s, "k"); !errors.Is(err, providers.ErrUnavailable) {
				t.Fatalf("err = %v, want ErrUnavailable", err)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the redirect target saw %d requests, want 0", n)
	}
}

func TestPlainHTTPOffLoopbackIsRefusedWithoutARequest(t *testing.T) {
	for name, o := range map[string]Options{
		"an explicit JWKS URL": {Issuer: "https://issuer.example", URI: "http://issuer.example/keys"},
		"a discovery issuer":   {Issuer: "http://issuer.example", Discovery: true},
	} {
		t.Run(name, func(t *testing.T) {
			o.HTTPClient = &http.Client{Transport: panicTransport{}}
			s, err := New(o)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := lookup(s, "k"); !errors.Is(err, providers.ErrUnavailable) {
				t.Fatalf("err = %v, want ErrUnavailable", err)
			}
		})
	}
}

func TestAnOversizedJWKSIsNotReadAndTheOldKeysStay(t *testing.T) {
	is, c := newIssuer(t), newClock()
	is.publish(ecKey(t, "k"))
	s := discoverySet(t, is, c, func(o *Options) { o.Interval = time.Minute })
	if _, err := lookup(s, "k"); err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat(" ", 5<<20)
	is.handle(keysPath, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"keys":[]` + big + `}`))
	}))
	c.Advance(2 * time.Minute)
	if _, err := lookup(s, "k"); err != nil {
		t.Fatalf("the old key after an oversized JWKS: %v", err)
	}
	if n := is.requests(keysPath); n != 2 {
		t.Errorf("JWKS requests = %d, want 2", n)
	}
}

func TestTheDiscoveredJWKSURIIsReusedUntilAFetchFails(t *testing.T) {
	is, c := newIssuer(t), newClock()
	is.publish(ecKey(t, "k"))
	s := discoverySet(t, is, c, func(o *Options) { o.Cooldown = time.Second })
	for range 3 {
		if _, err := lookup(s, "k"); err != nil {
			t.Fatal(err)
		}
		c.Advance(2 * time.Second)
		_, _ = lookup(s, "unknown") // a refresh
	}
	if d, k := is.requests(discoveryPath), is.requests(keysPath); d != 1 || k != 4 {
		t.Fatalf("discovery %d, JWKS %d requests, want 1 and 4", d, k)
	}
	is.handle(keysPath, http.NotFoundHandler())
	c.Advance(2 * time.Second)
	_, _ = lookup(s, "unknown") // fails: discovery runs again next time
	is.handle(keysPath, nil)
	c.Advance(2 * time.Second)
	if _, err := lookup(s, "k"); err != nil {
		t.Fatal(err)
	}
	_, _ = lookup(s, "unknown")
	if d := is.requests(discoveryPath); d != 2 {
		t.Errorf("discovery requests = %d, want 2 (once more after the failed fetch)", d)
	}
}

func TestAnExplicitJWKSURISkipsDiscovery(t *testing.T) {
	is, c := newIssuer(t), newClock()
	is.publish(ecKey(t, "k"))
	s, err := New(Options{Issuer: "https://elsewhere.example", URI: is.URL() + keysPath, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lookup(s, "k"); err != nil {
		t.Fatal(err)
	}
	if d, k := is.requests(discoveryPath), is.requests(keysPath); d != 0 || k != 1 {
		t.Errorf("discovery %d, JWKS %d requests, want 0 and 1", d, k)
	}
}
