package jwks

import (
	"errors"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
)

// carried builds the key set a reload builds after a discovery key set of is
// loaded key "k" and is went down, and reports whether it verifies "k".
func carried(t *testing.T, is *issuer, o Options) error {
	t.Helper()
	c := newClock()
	held := providers.NewKeySetCache()
	before := discoverySet(t, is, c, func(o *Options) { o.Shared = held })
	if _, err := lookup(before, "k"); err != nil {
		t.Fatal(err)
	}
	held.Prune()
	is.down()
	c.Advance(time.Minute)
	o.Now, o.Shared, o.Timeout = c.Now, held, 2*time.Second
	after, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	_, err = lookup(after, "k")
	return err
}

func TestAProviderNamingTheDiscoveredJWKSURIStartsWithTheDiscoveredKeysDuringAnOutage(t *testing.T) {
	is := newIssuer(t)
	is.publish(ecKey(t, "k"))
	if err := carried(t, is, Options{Issuer: is.URL(), URI: is.URL() + keysPath}); err != nil {
		t.Fatalf("the discovered keys after naming their URL: %v, want them", err)
	}
	if n := is.requests(keysPath); n != 1 {
		t.Errorf("JWKS requests = %d, want 1 (the held keys are fresh)", n)
	}
}

func TestAReloadThatChangesTheKeyDocumentStartsWithNoKeys(t *testing.T) {
	for name, o := range map[string]func(is, other *issuer) Options{
		"another explicit JWKS URL": func(is, other *issuer) Options {
			return Options{Issuer: is.URL(), URI: other.URL() + keysPath}
		},
		"a JWKS URL on the issuer that discovery did not name": func(is, _ *issuer) Options {
			return Options{Issuer: is.URL(), URI: is.URL() + "/other-keys"}
		},
		"another issuer by discovery": func(_, other *issuer) Options {
			return Options{Issuer: other.URL(), Discovery: true}
		},
		"the same issuer written with a trailing slash": func(is, _ *issuer) Options {
			return Options{Issuer: is.URL() + "/", Discovery: true}
		},
		"inline keys": func(is, _ *issuer) Options {
			return Options{Issuer: is.URL(), Inline: jwksJSON(t, ecKey(t, "inline"))}
		},
	} {
		t.Run(name, func(t *testing.T) {
			is, other := newIssuer(t), newIssuer(t)
			is.publish(ecKey(t, "k"))
			other.down()
			err := carried(t, is, o(is, other))
			var unavailable *providers.UnavailableError
			if err == nil || !(errors.Is(err, ErrUnknownKey) || errors.As(err, &unavailable)) {
				t.Fatalf("the old document's key: err = %v, want a refusal or unavailable", err)
			}
		})
	}
}

func TestAnExplicitJWKSURLKeepsItsKeysWhateverTheIssuer(t *testing.T) {
	is, c := newIssuer(t), newClock()
	is.publish(ecKey(t, "k"))
	held := providers.NewKeySetCache()
	build := func(issuer string) *Set {
		s, err := New(Options{Issuer: issuer, URI: is.URL() + keysPath, Now: c.Now, Shared: held})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if _, err := lookup(build("https://old.example"), "k"); err != nil {
		t.Fatal(err)
	}
	held.Prune()
	is.down()
	c.Advance(time.Minute)
	if _, err := lookup(build("https://new.example"), "k"); err != nil {
		t.Fatalf("the key of the same JWKS URL after the issuer changed: %v", err)
	}
}

func TestPeekDoesNotKeepAKeySetOfARemovedProvider(t *testing.T) {
	held := providers.NewKeySetCache()
	held.Hold("a", func() any { return 1 })
	held.Prune()
	if _, ok := held.Peek("a"); !ok {
		t.Fatal("a key set held before the reload is not seen")
	}
	held.Prune()
	if _, ok := held.Peek("a"); ok {
		t.Fatal("a key set only peeked at survived the next prune")
	}
}
