package gitlab

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/gitlab/gltest"
)

// Users of the standard fixture.
const (
	jdoe    = 7 // Developer in acme, Maintainer in acme/platform
	rita    = 8 // Reporter in acme
	mallory = 9 // blocked
	outside = 10
)

// fixture is a provider wired to a fake GitLab with a shared clock.
type fixture struct {
	gl    *gltest.Server
	clock *gltest.Clock
	p     *Provider
}

func newFixture(t *testing.T, mutate func(*Config), opts gltest.Options) *fixture {
	t.Helper()
	clock := gltest.NewClock(time.Unix(1_900_000_000, 0))
	opts.Now = clock.Now
	gl := gltest.New(t, opts)
	gl.AddUser(gltest.User{ID: jdoe, Username: "jdoe"})
	gl.AddUser(gltest.User{ID: rita, Username: "rita"})
	gl.AddUser(gltest.User{ID: mallory, Username: "mallory", State: gltest.StateBlocked})
	gl.AddUser(gltest.User{ID: outside, Username: "outsider"})
	gl.AddProject(gltest.Project{Path: "acme/app"})
	gl.AddProject(gltest.Project{Path: "acme/platform/api"})
	gl.AddProject(gltest.Project{Path: "other/secret"})
	gl.AddGroupMember("acme", jdoe, gltest.Developer)
	gl.AddGroupMember("acme/platform", jdoe, gltest.Maintainer)
	gl.AddGroupMember("acme", rita, gltest.Reporter)
	gl.AddGroupMember("acme", mallory, gltest.Owner)
	gl.AddGroup("other")
	cfg := Config{}
	cfg.BaseURL = gl.URL
	cfg.Timeout = 2 * time.Second
	if mutate != nil {
		mutate(&cfg)
	}
	p, err := New("gitlab", cfg, providers.Deps{Now: clock.Now})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &fixture{gl: gl, clock: clock, p: p}
}

func basic(user, tok string) providers.Credential {
	return providers.Credential{Scheme: providers.SchemeBasic, Username: user, Secret: providers.Secret(tok)}
}

func (f *fixture) auth(tok string) (providers.Identity, error) {
	return f.p.Authenticate(context.Background(), basic("gitlab", tok))
}

func (f *fixture) login(t *testing.T, tok string) providers.Identity {
	t.Helper()
	id, err := f.auth(tok)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	return id
}

func (f *fixture) perm(tok string, id providers.Identity, repo string) (providers.Permission, error) {
	return f.p.RepositoryPermission(context.Background(), basic("gitlab", tok), id, repo)
}

func wantInvalid(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, providers.ErrInvalidCredential) || errors.Is(err, providers.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrInvalidCredential only", err)
	}
}

func wantUnavailable(t *testing.T, err error) *providers.UnavailableError {
	t.Helper()
	var ue *providers.UnavailableError
	if !errors.As(err, &ue) || !errors.Is(err, providers.ErrUnavailable) || errors.Is(err, providers.ErrInvalidCredential) {
		t.Fatalf("err = %v, want an *UnavailableError only", err)
	}
	if ue.RetryAfter <= 0 {
		t.Errorf("RetryAfter = %v, want > 0", ue.RetryAfter)
	}
	return ue
}
