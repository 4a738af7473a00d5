package oidc_test

// Footguns of federation.md §4 that the other test files do not already
// name (see docs/oidc.md and the package report for the full mapping).

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/oidc"
	"github.com/regbridge/regbridge/providers/oidc/oidctest"
)

func TestF09IssuerPrefixAndPathVariantsAreNotMatches(t *testing.T) {
	e := newEnv(t, oidctest.Options{Path: "/realms/ci"}, nil)
	for _, iss := range []string{
		e.is.Issuer() + "-evil",
		e.is.Issuer() + "/",
		strings.TrimSuffix(e.is.Issuer(), "/ci"),
		e.is.Issuer() + "/../ci",
	} {
		c := e.claims()
		c["iss"] = iss
		e.mustRefuse(t, e.is.Mint(c))
	}
	if n := e.is.TotalRequests(); n != 0 {
		t.Fatalf("issuer saw %d requests for variant issuers, want 0", n)
	}
	e.warm()
}

func TestF12SubjectIsTheImmutableIDNotTheName(t *testing.T) {
	e := presetEnv(t, oidc.PresetGitHubActions)
	first := e.mustAccept(t, e.is.Mint(githubClaims(e, "push", "refs/heads/main")))
	renamed := githubClaims(e, "push", "refs/heads/main")
	renamed["repository"], renamed["repository_owner"] = "newname/api", "newname"
	second := e.mustAccept(t, e.is.Mint(renamed))
	if first.Subject != second.Subject || first.Subject != ghRepoID {
		t.Fatalf("subjects %q and %q, want both the repository id %q", first.Subject, second.Subject, ghRepoID)
	}
	resurrected := githubClaims(e, "push", "refs/heads/main")
	resurrected["repository_id"], resurrected["repository_owner_id"] = "5", "999"
	if id := e.mustAccept(t, e.is.Mint(resurrected)); id.Subject == first.Subject {
		t.Fatalf("a re-registered name got the old subject %q", id.Subject)
	}
}

func TestF16UnavailableIssuerFailsClosedAndIsNotCachedAsARejection(t *testing.T) {
	e := newEnv(t, oidctest.Options{}, nil)
	e.is.SetDiscovery("issuer", "https://someone-else.example") // a broken discovery document
	_, err := e.auth(e.is.Mint(e.claims()))
	if !errors.Is(err, providers.ErrUnavailable) || errors.Is(err, providers.ErrInvalidCredential) {
		t.Fatalf("err = %v, want ErrUnavailable only", err)
	}
}

func TestF19SameKeysSigningAnAccessTokenDoNotMakeItAnIDToken(t *testing.T) {
	// Hydra's JWT access tokens carry typ JWT, scp and client_id.
	e := newEnv(t, oidctest.Options{}, nil)
	c := e.claims()
	c["scp"], c["client_id"], c["ext"] = []any{"registry.token.issue"}, "ci-bridge-test", map[string]any{}
	e.mustRefuse(t, e.is.Mint(c))
}

func TestF05EmptyAudienceListIsRefusedEvenWhenConfigHasManyAudiences(t *testing.T) {
	e := newEnv(t, oidctest.Options{}, func(c *oidc.Config) { c.Audiences = []string{aud, "other.example.com"} })
	c := e.claims()
	c["aud"] = []any{}
	e.mustRefuse(t, e.is.Mint(c))
}

func TestF11GitLabStyleLongLivedTokenIsBoundedByMaxTokenAge(t *testing.T) {
	e := newEnv(t, oidctest.Options{}, func(c *oidc.Config) { c.Preset = oidc.PresetGitLabCI })
	c := gitlabClaims(e, "push", "branch", "main", true)
	c["exp"] = e.clock.Now().Add(3 * time.Hour).Unix() // job timeout 3h
	tok := e.is.Mint(c)
	id := e.mustAccept(t, tok)
	if want := e.clock.Now().Add(time.Hour); !id.Expiry.Equal(want) {
		t.Errorf("identity expiry = %s, want iat + max_token_age = %s (never cached past it)", id.Expiry, want)
	}
	e.clock.Advance(61 * time.Minute) // preset max_token_age is 1h, skew 30s
	e.mustRefuse(t, tok)
}

func TestAuthenticateHonoursCancelledContextWhileWaitingForKeys(t *testing.T) {
	e := newEnv(t, oidctest.Options{}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// A cancelled request may still trigger the one fetch (it outlives the
	// request); it must not hang or be taken for a bad token.
	_, err := e.p.Authenticate(ctx, basic(e.is.Mint(e.claims())))
	if errors.Is(err, providers.ErrInvalidCredential) {
		t.Fatalf("err = %v: a cancelled request is not a bad token", err)
	}
}
