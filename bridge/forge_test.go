package bridge

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/regbridge/regbridge/acl"
	"github.com/regbridge/regbridge/bridge/signing"
	"github.com/regbridge/regbridge/providers"
)

const forgeTestPolicy = `version: 1
rules:
  - id: mirror
    who: [forge]
    grant:
      - {repository: "**", actions: [pull, push, delete], forge: owner-repo}
`

// fakeForge is a forge provider with a token table and per-repository
// permissions, counting calls.
type fakeForge struct {
	mu        sync.Mutex
	perms     map[string]providers.Permission
	permErr   error
	userCalls atomic.Int64
	permCalls sync.Map // repo → *atomic.Int64
	ttl       time.Duration
	delay     time.Duration
}

func (f *fakeForge) Authenticate(_ context.Context, cred providers.Credential) (providers.Identity, error) {
	f.userCalls.Add(1)
	time.Sleep(f.delay)
	if cred.Secret.Reveal() != "forge-token" {
		return providers.Identity{}, providers.ErrInvalidCredential
	}
	return providers.Identity{Subject: "42", Username: "bob"}, nil
}

func (f *fakeForge) Route() providers.Route { return providers.Route{Usernames: []string{"*"}} }

func (f *fakeForge) RepositoryPermission(_ context.Context, _ providers.Credential, _ providers.Identity, repo string) (providers.Permission, error) {
	n, _ := f.permCalls.LoadOrStore(repo, new(atomic.Int64))
	n.(*atomic.Int64).Add(1)
	time.Sleep(f.delay)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.permErr != nil {
		return providers.PermissionNone, f.permErr
	}
	return f.perms[repo], nil
}

func (f *fakeForge) PermissionTTL() time.Duration { return f.ttl }

func (f *fakeForge) permCount(repo string) int64 {
	n, ok := f.permCalls.Load(repo)
	if !ok {
		return 0
	}
	return n.(*atomic.Int64).Load()
}

type forgeEnv struct {
	srv   *Server
	forge *fakeForge
	key   *signing.Key
	now   atomic.Pointer[time.Time]
}

func newForgeEnv(t *testing.T) *forgeEnv {
	t.Helper()
	pol, err := acl.Parse([]byte(forgeTestPolicy), "policy.yaml", acl.Options{Providers: map[string]providers.PolicyFacts{"forge": {Type: "gitea", Forge: true}}})
	if err != nil {
		t.Fatal(err)
	}
	e := &forgeEnv{forge: &fakeForge{perms: map[string]providers.Permission{"acme/app": providers.PermissionWrite, "acme/lib": providers.PermissionRead}, ttl: time.Minute}, key: testKey(t)}
	now := testNow
	e.now.Store(&now)
	clock := func() time.Time { return *e.now.Load() }
	st, err := NewState(StateConfig{
		Services:  []Service{{Name: "registry.test", Issuer: "regbridge-test"}},
		Keys:      []*signing.Key{e.key},
		Providers: []*Registered{{ID: "forge", Provider: e.forge}},
		Policy:    pol,
		Cache:     NewCredentialCache(CacheConfig{TTL: 10 * time.Minute}.WithDefaults(), clock),
	})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = NewServer(st, Options{PublicURL: "http://localhost:5001", Now: clock})
	return e
}

func (e *forgeEnv) advance(d time.Duration) {
	n := e.now.Load().Add(d)
	e.now.Store(&n)
}

func (e *forgeEnv) token(t *testing.T, scope string) (int, string) {
	t.Helper()
	w := (&testEnv{srv: e.srv}).get(t, "service=registry.test&scope="+scope, "bob", "forge-token")
	if w.Code != http.StatusOK {
		return w.Code, w.Body.String()
	}
	_, c, _ := decodeToken(t, w, e.key)
	return w.Code, granted(c)
}

func TestForgePermissionsDecideTheGrantedActions(t *testing.T) {
	e := newForgeEnv(t)
	for _, tt := range []struct{ scope, want string }{
		{"repository:acme/app:pull,push", "repository:acme/app:pull,push"},
		{"repository:acme/app/worker:push", "repository:acme/app/worker:push"},
		{"repository:acme/lib:pull,push", "repository:acme/lib:pull"},
		{"repository:acme/private:pull", ""},
	} {
		code, got := e.token(t, tt.scope)
		if code != http.StatusOK || got != tt.want {
			t.Errorf("%s: %d %q, want 200 %q", tt.scope, code, got, tt.want)
		}
	}
}

func TestOneFreshForgeTokenCostsOneUserCallAndOnePermissionCallPerRepository(t *testing.T) {
	e := newForgeEnv(t)
	e.forge.delay = 20 * time.Millisecond
	var wg sync.WaitGroup
	var bad atomic.Int64
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			scope := "repository:acme/app:pull,push"
			if i%2 == 1 {
				scope = "repository:acme/lib:pull"
			}
			w := (&testEnv{srv: e.srv}).get(t, "service=registry.test&scope="+scope, "bob", "forge-token")
			if w.Code != http.StatusOK {
				bad.Add(1)
			}
		}()
	}
	wg.Wait()
	if bad.Load() != 0 {
		t.Fatalf("%d requests failed", bad.Load())
	}
	if u, a, l := e.forge.userCalls.Load(), e.forge.permCount("acme/app"), e.forge.permCount("acme/lib"); u != 1 || a != 1 || l != 1 {
		t.Fatalf("forge calls: user %d, acme/app %d, acme/lib %d; want 1 each", u, a, l)
	}
	e.advance(61 * time.Second)
	e.token(t, "repository:acme/app:push")
	if u, a := e.forge.userCalls.Load(), e.forge.permCount("acme/app"); u != 1 || a != 2 {
		t.Fatalf("after the permission TTL: user %d, acme/app %d; want 1 and 2", u, a)
	}
}

func TestAPermissionTheForgeWithdrawsStopsGrantingWithinItsTTL(t *testing.T) {
	e := newForgeEnv(t)
	if _, got := e.token(t, "repository:acme/app:push"); got != "repository:acme/app:push" {
		t.Fatalf("before: %q", got)
	}
	e.forge.mu.Lock()
	delete(e.forge.perms, "acme/app")
	e.forge.mu.Unlock()
	if _, got := e.token(t, "repository:acme/app:push"); got != "repository:acme/app:push" {
		t.Fatalf("within the TTL the cached answer holds: %q", got)
	}
	e.advance(61 * time.Second)
	if code, got := e.token(t, "repository:acme/app:push"); code != http.StatusOK || got != "" {
		t.Fatalf("after the TTL: %d %q, want a token with no access", code, got)
	}
}

func TestAForgeThatCannotAnswerFailsTheRequestAndIsNeverCached(t *testing.T) {
	e := newForgeEnv(t)
	e.forge.permErr = &providers.UnavailableError{RetryAfter: 7 * time.Second, Err: fmt.Errorf("forge: 502: %w", providers.ErrUnavailable)}
	w := (&testEnv{srv: e.srv}).get(t, "service=registry.test&scope=repository:acme/app:push", "bob", "forge-token")
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "7" {
		t.Fatalf("status %d Retry-After %q, want 503 and 7", w.Code, w.Header().Get("Retry-After"))
	}
	e.forge.mu.Lock()
	e.forge.permErr = nil
	e.forge.mu.Unlock()
	if code, got := e.token(t, "repository:acme/app:push"); code != http.StatusOK || got != "repository:acme/app:push" {
		t.Fatalf("after recovery: %d %q", code, got)
	}
	if n := e.forge.permCount("acme/app"); n != 2 {
		t.Fatalf("permission calls %d, want 2 (the failure was not cached)", n)
	}
}

func TestACredentialTheForgeRefusesLaterIsRefusedAndForgotten(t *testing.T) {
	e := newForgeEnv(t)
	e.token(t, "repository:acme/lib:pull")
	e.forge.mu.Lock()
	e.forge.permErr = fmt.Errorf("forge: 401: %w", providers.ErrInvalidCredential)
	e.forge.mu.Unlock()
	if code, _ := e.token(t, "repository:acme/app:pull"); code != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", code)
	}
	if code, _ := e.token(t, "repository:acme/lib:pull"); code != http.StatusOK {
		t.Fatalf("status %d for a cached repository answer", code)
	}
	if n := e.forge.userCalls.Load(); n != 2 {
		t.Fatalf("user calls %d, want 2: the refused credential's identity was dropped from the cache", n)
	}
}
