package github

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/github/ghtest"
)

// fixture is a provider wired to a fake GitHub Enterprise Server with a
// shared clock, and a small world: alice writes acme/app through the team
// acme/writers, bob reads it through acme/readers, carol is in no team.
type fixture struct {
	gh    *ghtest.Server
	clock *ghtest.Clock
	p     *Provider
}

func newFixture(t *testing.T, mutate func(*Config), opts ghtest.Options) *fixture {
	t.Helper()
	clock := ghtest.NewClock(time.Unix(1_900_000_000, 0))
	opts.Now = clock.Now
	opts.Enterprise = true
	gh := ghtest.New(t, opts)
	world(gh)
	cfg := Config{}
	cfg.BaseURL = gh.URL
	cfg.Timeout = 2 * time.Second
	if mutate != nil {
		mutate(&cfg)
	}
	p, err := New("github", cfg, providers.Deps{Now: clock.Now})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &fixture{gh: gh, clock: clock, p: p}
}

func world(gh *ghtest.Server) {
	gh.AddUser(ghtest.User{ID: 101, Login: "alice"})
	gh.AddUser(ghtest.User{ID: 102, Login: "bob"})
	gh.AddUser(ghtest.User{ID: 103, Login: "carol"})
	gh.AddOrg("Acme")
	gh.AddTeam("Acme", "writers", "alice")
	gh.AddTeam("Acme", "readers", "bob")
	gh.AddRepo("Acme/app", true)
	gh.GrantTeam("Acme/app", "Acme/writers", ghtest.RoleWrite)
	gh.GrantTeam("Acme/app", "Acme/readers", ghtest.RoleRead)
}

func basic(user, tok string) providers.Credential {
	return providers.Credential{Scheme: providers.SchemeBasic, Username: user, Secret: providers.Secret(tok)}
}

func (f *fixture) auth(tok string) (providers.Identity, error) {
	return f.p.Authenticate(context.Background(), basic("x", tok))
}

func (f *fixture) perm(tok, repo string) (providers.Permission, error) {
	return f.p.RepositoryPermission(context.Background(), basic("x", tok), providers.Identity{}, repo)
}

func wantInvalid(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, providers.ErrInvalidCredential) || errors.Is(err, providers.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrInvalidCredential only", err)
	}
}

func wantUnavailable(t *testing.T, err error, retry time.Duration) {
	t.Helper()
	var ue *providers.UnavailableError
	if !errors.As(err, &ue) || errors.Is(err, providers.ErrInvalidCredential) {
		t.Fatalf("err = %v, want an *UnavailableError only", err)
	}
	if retry != 0 && ue.RetryAfter != retry {
		t.Errorf("RetryAfter = %v, want %v", ue.RetryAfter, retry)
	}
	if ue.RetryAfter <= 0 {
		t.Errorf("RetryAfter = %v, want > 0", ue.RetryAfter)
	}
}

func depsNow() providers.Deps { return providers.Deps{Now: time.Now} }
