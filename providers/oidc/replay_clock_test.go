package oidc_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/oidc"
	"github.com/regbridge/regbridge/providers/oidc/oidctest"
)

// An identity without an expiry is remembered for a day of the provider's
// clock, not of the wall clock: with a clock ahead of the wall clock, a
// wall-clock bound would already have passed and the token would be
// accepted again.
func TestASingleUseTokenWithoutExpiryIsRememberedOnTheInjectedClock(t *testing.T) {
	e := newEnv(t, oidctest.Options{}, func(c *oidc.Config) { c.Replay = oidc.ReplaySingleUse })
	cred := basic(e.is.Mint(e.claims()))
	id := providers.Identity{Subject: "s"}      // no Expiry
	e.clock.Advance(100 * 365 * 24 * time.Hour) // far ahead of any wall clock
	if err := e.p.CheckBinding(context.Background(), cred, id); err != nil {
		t.Fatalf("first use: %v", err)
	}
	if err := e.p.CheckBinding(context.Background(), cred, id); !errors.Is(err, providers.ErrInvalidCredential) {
		t.Fatalf("second use: err = %v, want ErrInvalidCredential", err)
	}
}
