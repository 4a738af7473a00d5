package bridge

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/regbridge/regbridge/acl"
	"github.com/regbridge/regbridge/bridge/signing"
	"github.com/regbridge/regbridge/providers"
)

// actionsProvider answers every token with a GitHub-Actions-shaped identity
// (the claim set of a token.actions.githubusercontent.com token), each
// with values of its own, as decoded from JSON.
type actionsProvider struct{ calls int }

func (p *actionsProvider) Authenticate(_ context.Context, cred providers.Credential) (providers.Identity, error) {
	p.calls++
	return actionsIdentity(cred.Secret.Reveal()), nil
}

func (p *actionsProvider) Route() providers.Route { return providers.Route{Usernames: []string{"*"}} }

func actionsIdentity(tok string) providers.Identity {
	n := strings.TrimPrefix(tok, "tok-")
	repo := "acme-corp/service-" + n
	sub := "repo:" + repo + ":ref:refs/heads/main"
	exp := float64(testNow.Add(time.Hour).Unix())
	claims := map[string]any{
		"jti": "8f0e3c9a-" + n + "-4d5e-9b7c-1f2a3b4c5d6e", "sub": sub, "aud": "https://github.com/acme-corp",
		"ref": "refs/heads/main", "sha": "3f786850e387550fdab836ed7e6dc881de23001b" + n, "repository": repo,
		"repository_owner": "acme-corp", "repository_owner_id": "1234567", "run_id": "9876543210" + n,
		"run_number": "42" + n, "run_attempt": "1", "repository_visibility": "private", "repository_id": "55" + n,
		"actor_id": "7654321", "actor": "octocat", "workflow": "Build and push", "head_ref": "", "base_ref": "",
		"event_name": "push", "ref_protected": "true", "ref_type": "branch",
		"workflow_ref": repo + "/.github/workflows/build.yml@refs/heads/main", "workflow_sha": "3f786850e387550fdab836ed7e6dc881de23001b",
		"job_workflow_ref": repo + "/.github/workflows/build.yml@refs/heads/main", "job_workflow_sha": "3f786850e387550fdab836ed7e6dc881de23001b",
		"runner_environment": "github-hosted", "enterprise": "acme", "enterprise_id": "314",
		"iss": "https://token.actions.githubusercontent.com", "nbf": exp - 3900, "exp": exp, "iat": exp - 3600,
	}
	return providers.Identity{Subject: sub, Username: repo, Claims: claims, Expiry: testNow.Add(time.Hour)}
}

// actionsPolicy reads four claims, as a CI policy does.
const actionsPolicy = `version: 1
rules:
  - id: ci-push
    who: [ci]
    when:
      claims: {repository_owner_id: "1234567", event_name: {in: [push]}, ref: refs/heads/main}
    grant:
      - {repository: "${claims.repository|path}/**", actions: [pull, push]}
`

func parseCIPolicy(t testing.TB, src string) *acl.Policy {
	t.Helper()
	pol, err := acl.Parse([]byte(src), "policy.yaml", acl.Options{Providers: map[string]providers.PolicyFacts{"ci": {Type: "oidc"}}})
	if err != nil {
		t.Fatal(err)
	}
	return pol
}

func TestPolicyClaimNamesAreTheClaimsOfConditionsAndPlaceholders(t *testing.T) {
	got := strings.Join(parseCIPolicy(t, actionsPolicy).ClaimNames(), ",")
	if want := "event_name,ref,repository,repository_owner_id"; got != want {
		t.Errorf("ClaimNames = %s, want %s", got, want)
	}
}

func TestACachedIdentityKeepsOnlyTheClaimsThePolicyAndTheProviderRead(t *testing.T) {
	pol := parseCIPolicy(t, actionsPolicy)
	c := NewCredentialCache(CacheConfig{}.WithDefaults(), func() time.Time { return testNow })
	reg := &Registered{ID: "ci", Provider: &actionsProvider{}}
	keep := newClaimKeep(pol, reg.Provider)
	cred := providers.Credential{Scheme: providers.SchemeBearer, Secret: "tok-1"}
	id, _, err := c.authenticate(context.Background(), cacheKey(reg, cred), reg, cred, keep)
	if err != nil {
		t.Fatal(err)
	}
	if len(id.Claims) != 4 || id.Claims["repository"] != "acme-corp/service-1" || id.Subject == "" {
		t.Errorf("trimmed identity = %+v, want the 4 claims the policy reads", id)
	}
	withKeeper := newClaimKeep(pol, &keeperProvider{})
	if !strings.Contains(withKeeper.id, "jti") {
		t.Errorf("a ClaimKeeper's claims are not kept: %q", withKeeper.id)
	}
}

// keeperProvider reads jti after the cache.
type keeperProvider struct{ actionsProvider }

func (keeperProvider) KeptClaims() []string { return []string{"jti"} }

func TestAReloadThatReadsANewClaimNeverSeesAnIdentityTrimmedWithoutIt(t *testing.T) {
	prov := &actionsProvider{}
	reg := &Registered{ID: "ci", Provider: prov}
	cache := NewCredentialCache(CacheConfig{}.WithDefaults(), func() time.Time { return testNow })
	state := func(policy string) *State {
		st, err := NewState(StateConfig{Services: []Service{{Name: "registry.test", Issuer: "regbridge-test"}},
			Keys: []*signing.Key{testKey(t)}, Providers: []*Registered{reg}, Policy: parseCIPolicy(t, policy), Cache: cache})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	before := state(actionsPolicy)
	events := &eventLog{}
	srv := NewServer(before, Options{PublicURL: "http://localhost:5001", Now: func() time.Time { return testNow }, Observer: events})
	// ask reports how many scopes the answer granted.
	ask := func(scope string) int {
		r, _ := http.NewRequest(http.MethodGet, "/token?service=registry.test&scope="+scope, nil)
		r.SetBasicAuth("ci", "tok-7")
		w := newRecorder()
		srv.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		events.mu.Lock()
		defer events.mu.Unlock()
		return len(events.ev[len(events.ev)-1].Granted)
	}
	pushScope := "repository:acme-corp/service-7/app:push"
	if granted := ask(pushScope); granted != 1 || prov.calls != 1 {
		t.Fatalf("before the reload: %d scopes granted after %d calls", granted, prov.calls)
	}
	// The new policy pins the actor too: an identity cached without actor
	// would be denied by it though the token carries actor: octocat.
	srv.Swap(state(strings.Replace(actionsPolicy, `ref: refs/heads/main}`, `ref: refs/heads/main, actor: octocat}`, 1)), "test")
	if granted := ask(pushScope); granted != 1 {
		t.Errorf("after a reload that reads actor: %d scopes granted, want 1 (an identity trimmed without actor was used)", granted)
	}
	if prov.calls != 2 {
		t.Errorf("%d provider calls, want 2: the entry trimmed without actor must be a miss", prov.calls)
	}
	// A reload that reads fewer claims reuses the entry.
	srv.Swap(state(actionsPolicy), "test")
	if ask(pushScope); prov.calls != 2 {
		t.Errorf("%d provider calls after a reload that reads fewer claims, want the cached entry reused", prov.calls)
	}
}

// BenchmarkBytesPerCachedIdentity reports the heap one cached identity
// holds, per provider kind, through the cache's own store path.
func BenchmarkBytesPerCachedIdentity(b *testing.B) {
	const n = 20_000
	pol := parseCIPolicy(b, actionsPolicy)
	static := func(i int) providers.Identity {
		name := fmt.Sprintf("user%06d", i)
		return providers.Identity{Subject: name, Username: name, Groups: []string{"developers", "team-" + name[4:7]},
			Claims: map[string]any{"robot": false}}
	}
	oidc := func(i int) providers.Identity { return actionsIdentity(fmt.Sprintf("tok-%06d", i)) }
	cases := []struct {
		name string
		make func(int) providers.Identity
		keep *claimKeep
	}{
		{"static", static, nil},
		{"oidc-github-actions-every-claim", oidc, nil},
		{"oidc-github-actions-policy-claims", oidc, newClaimKeep(pol, nil)},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				c := NewCredentialCache(CacheConfig{Size: n, TTL: time.Hour, NegativeTTL: time.Minute}, func() time.Time { return testNow })
				for i := range n {
					var key [32]byte
					copy(key[:], fmt.Sprintf("%032d", i))
					c.store(key, tc.keep.trim(tc.make(i)), nil, time.Hour, tc.keep)
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				if c.Len() != n {
					b.Fatalf("cache holds %d identities, want %d", c.Len(), n)
				}
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "bytes/identity")
				runtime.KeepAlive(c)
				b.StartTimer()
			}
		})
	}
}

func TestIdentitiesOfProvidersWithRefreshTokensAreCachedWithEveryClaim(t *testing.T) {
	reg := &Registered{ID: "ci", Provider: &actionsProvider{}}
	st, err := NewState(StateConfig{Services: []Service{{Name: "registry.test", Issuer: "regbridge-test"}},
		Keys: []*signing.Key{testKey(t)}, Providers: []*Registered{reg}, Policy: parseCIPolicy(t, actionsPolicy),
		Cache:   NewCredentialCache(CacheConfig{}.WithDefaults(), func() time.Time { return testNow }),
		Refresh: map[string]RefreshPolicy{"ci": {Enabled: true, TTL: time.Hour, Idle: time.Hour, Mode: RefreshIdentity}}})
	if err != nil {
		t.Fatal(err)
	}
	if k := st.keep["ci"]; k != nil {
		t.Fatalf("a provider whose identities refresh tokens seal is trimmed to %q", k.id)
	}
	cred := providers.Credential{Scheme: providers.SchemeBearer, Secret: "tok-1"}
	id, _, err := st.cache.authenticate(context.Background(), cacheKey(reg, cred), reg, cred, st.keep["ci"])
	if err != nil {
		t.Fatal(err)
	}
	if want := len(actionsIdentity("tok-1").Claims); len(id.Claims) != want {
		t.Fatalf("cached identity has %d claims, want all %d", len(id.Claims), want)
	}
}
