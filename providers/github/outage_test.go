package github

import (
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers/github/ghtest"
	"github.com/regbridge/regbridge/providers/internal/forgeapi"
)

func TestOutagesAndRateLimitsAreUnavailableWithGitHubsRetryHint(t *testing.T) {
	tests := []struct {
		name  string
		fault ghtest.Fault
		retry time.Duration // 0: any positive hint
	}{
		{"500", ghtest.FaultInternal, forgeapi.DefaultRetryAfter},
		{"502 HTML", ghtest.FaultBadGateway, forgeapi.DefaultRetryAfter},
		{"503 with Retry-After", ghtest.FaultServiceUnavailable, 7 * time.Second},
		{"504", ghtest.FaultGatewayTimeout, forgeapi.DefaultRetryAfter},
		{"a reset connection", ghtest.FaultReset, 0},
		{"truncated JSON", ghtest.FaultTruncated, 0},
		{"an answer over the body cap", ghtest.FaultOversized, 0},
		{"a timeout", ghtest.FaultSlow, 0},
		{"the secondary limit with retry-after", ghtest.FaultSecondaryLimit, 60 * time.Second},
		{"the secondary limit without retry-after waits a minute", ghtest.FaultSecondaryLimitNoRetryAfter, time.Minute},
		{"the secondary limit as 429", ghtest.FaultSecondaryLimit429, 60 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(c *Config) { c.Timeout = 300 * time.Millisecond }, ghtest.Options{SlowDelay: 3 * time.Second})
			tok := f.gh.Classic("alice", "write:packages", "read:org", "repo")
			f.gh.SetFault(tt.fault)
			_, err := f.auth(tok)
			wantUnavailable(t, err, tt.retry)
			_, err = f.perm(tok, "acme/app")
			wantUnavailable(t, err, tt.retry)
			f.gh.SetFault(ghtest.FaultNone)
			if _, err := f.auth(tok); err != nil {
				t.Errorf("after the fault: %v", err)
			}
		})
	}
}

func TestAnOutageWhileListingTeamsIsUnavailableNotAnIdentityWithoutGroups(t *testing.T) {
	f := newFixture(t, nil, ghtest.Options{})
	f.gh.SetFaultFor(ghtest.EndpointTeams, ghtest.FaultBadGateway)
	_, err := f.auth(f.gh.Classic("alice", "write:packages", "read:org"))
	wantUnavailable(t, err, 0)
}

func TestThePrimaryLimitIsUnavailableUntilTheResetThenRecovers(t *testing.T) {
	for _, status := range []int{403, 429} {
		f := newFixture(t, nil, ghtest.Options{RateLimit: 100, LimitStatus: status})
		tok := f.gh.Classic("alice", "write:packages", "read:org", "repo")
		if _, err := f.auth(tok); err != nil {
			t.Fatal(err)
		}
		f.gh.ExhaustRateLimit("alice")
		f.clock.Advance(58 * time.Minute) // the window resets 2 minutes from now
		_, err := f.auth(tok)
		wantUnavailable(t, err, 2*time.Minute)
		_, err = f.perm(tok, "acme/app")
		wantUnavailable(t, err, 2*time.Minute)
		f.clock.Advance(2 * time.Minute)
		if _, err := f.auth(tok); err != nil {
			t.Errorf("status %d: after the reset: %v", status, err)
		}
		if p, err := f.perm(tok, "acme/app"); err != nil || p.String() != "write" {
			t.Errorf("status %d: permission after the reset: %v, %v", status, p, err)
		}
	}
}

func TestAForgeThatIsDownIsUnavailable(t *testing.T) {
	closed, err := ghtest.ClosedURL()
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{}
	cfg.BaseURL = closed
	p, err := New("github", cfg, depsNow())
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Authenticate(t.Context(), basic("x", "ghp_0123456789abcdefghijklmnopqrstuvwxyz"))
	wantUnavailable(t, err, 0)
}
