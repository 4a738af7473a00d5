package jwks

import (
	"errors"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
)

func TestAReloadDuringAnIssuerOutageKeepsAcceptingTokensSignedWithTheHeldKeys(t *testing.T) {
	is, c := newIssuer(t), newClock()
	is.publish(ecKey(t, "k"))
	held := providers.NewKeySetCache()
	share := func(o *Options) { o.Shared = held }
	before := discoverySet(t, is, c, share)
	if _, err := lookup(before, "k"); err != nil {
		t.Fatal(err)
	}
	is.down()
	c.Advance(time.Minute)
	after := discoverySet(t, is, c, share) // the provider a reload builds
	for i := range 3 {
		if _, err := lookup(after, "k"); err != nil {
			t.Fatalf("lookup %d after the reload: %v, want the held key", i, err)
		}
	}
	if n := is.requests(keysPath); n != 1 {
		t.Errorf("JWKS requests = %d, want 1 (a reload fetches nothing)", n)
	}
	if _, err := lookup(after, "never-seen"); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("unknown kid after the reload: err = %v, want a definite ErrUnknownKey", err)
	}
}

func TestAReloadWithTheIssuerUpFetchesNothing(t *testing.T) {
	is, c := newIssuer(t), newClock()
	is.publish(ecKey(t, "k"))
	held := providers.NewKeySetCache()
	for range 3 {
		s := discoverySet(t, is, c, func(o *Options) { o.Shared = held })
		if _, err := lookup(s, "k"); err != nil {
			t.Fatal(err)
		}
		held.Prune()
	}
	if d, k := is.requests(discoveryPath), is.requests(keysPath); d != 1 || k != 1 {
		t.Errorf("discovery %d, JWKS %d requests over three configurations, want 1 and 1", d, k)
	}
}

func TestKeySetsOfAnotherIssuerOrKeySourceAreNeverShared(t *testing.T) {
	is, c := newIssuer(t), newClock()
	is.publish(ecKey(t, "k"))
	held := providers.NewKeySetCache()
	first := discoverySet(t, is, c, func(o *Options) { o.Shared = held })
	if _, err := lookup(first, "k"); err != nil {
		t.Fatal(err)
	}
	other := newIssuer(t)
	other.publish(ecKey(t, "other"))
	for name, o := range map[string]Options{
		"an explicit JWKS URL": {Issuer: is.URL(), URI: other.URL() + keysPath},
		"another issuer":       {Issuer: other.URL(), Discovery: true},
	} {
		t.Run(name, func(t *testing.T) {
			o.Now, o.Shared = c.Now, held
			s, err := New(o)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := lookup(s, "k"); !errors.Is(err, ErrUnknownKey) {
				t.Fatalf("the first issuer's key: err = %v, want ErrUnknownKey", err)
			}
		})
	}
}

func TestInlineKeysAreNeverHeldForAnotherProvider(t *testing.T) {
	held := providers.NewKeySetCache()
	s, err := New(Options{Issuer: "https://i.example", Inline: jwksJSON(t, ecKey(t, "inline")), Shared: held})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lookup(s, "inline"); err != nil {
		t.Fatal(err)
	}
	stored := true
	held.Hold(stateKey("https://i.example", ""), func() any { stored = false; return nil })
	if stored {
		t.Fatal("inline keys were stored for the issuer's discovery key set")
	}
}
