package sourcehut

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/sourcehut/srhttest"
)

const domain = "registry.example.com"

// fixture is a provider wired to a fake meta.sr.ht with a shared clock.
type fixture struct {
	meta  *srhttest.Server
	clock *srhttest.Clock
	p     *Provider
}

func newFixture(t *testing.T, mutate func(*Config), opts srhttest.Options) *fixture {
	t.Helper()
	clock := srhttest.NewClock(time.Unix(1_900_000_000, 0))
	opts.Now = clock.Now
	if opts.Users == nil {
		opts.Users = []srhttest.User{{Username: "jdoe"}, {Username: "suspect", Suspended: true, Notice: "abuse"}}
	}
	meta := srhttest.New(t, opts)
	cfg := Config{MetaURL: meta.URL, RegistryDomain: domain, Timeout: 2 * time.Second}
	if mutate != nil {
		mutate(&cfg)
	}
	p, err := New("sourcehut", cfg, providers.Deps{Now: clock.Now})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &fixture{meta: meta, clock: clock, p: p}
}

func basic(tok string) providers.Credential {
	return providers.Credential{Scheme: providers.SchemeBasic, Username: "sourcehut", Secret: providers.Secret(tok)}
}

func (f *fixture) auth(tok string) (providers.Identity, error) {
	return f.p.Authenticate(context.Background(), basic(tok))
}

// mint returns a builds-style token for jdoe expiring in an hour.
func (f *fixture) mint(grants string) string {
	return f.meta.MintBuilds("jdoe", grants, time.Hour)
}

func wantInvalid(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, providers.ErrInvalidCredential) || errors.Is(err, providers.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrInvalidCredential only", err)
	}
}

func wantUnavailable(t *testing.T, err error) {
	t.Helper()
	var ue *providers.UnavailableError
	if !errors.As(err, &ue) || !errors.Is(err, providers.ErrUnavailable) || errors.Is(err, providers.ErrInvalidCredential) {
		t.Fatalf("err = %v, want an *UnavailableError only", err)
	}
	if ue.RetryAfter <= 0 {
		t.Errorf("RetryAfter = %v, want > 0", ue.RetryAfter)
	}
}

func depsAt(t time.Time) providers.Deps {
	return providers.Deps{Now: func() time.Time { return t }}
}
