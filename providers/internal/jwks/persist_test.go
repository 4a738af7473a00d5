package jwks

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
)

// persistedSet is a discovery key set of is keeping its keys in dir, as a
// fresh process builds it.
func persistedSet(t *testing.T, is *issuer, c *clock, dir string, maxStale time.Duration) *Set {
	t.Helper()
	return discoverySet(t, is, c, func(o *Options) { o.StateDir, o.MaxStale = dir, maxStale })
}

// stateDir is an empty directory only its owner may write.
func stateDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "state")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

func stale(s *Set) bool {
	_, ok := s.st.StaleKeys()
	return ok
}

func TestKeysLeftInTheStateDirectoryVerifyTokensAfterARestartDuringAnOutage(t *testing.T) {
	is, c, dir := newIssuer(t), newClock(), stateDir(t)
	is.publish(ecKey(t, "k"))
	if _, err := lookup(persistedSet(t, is, c, dir, 0), "k"); err != nil {
		t.Fatal(err)
	}
	is.down()
	c.Advance(3 * time.Hour)
	restarted := persistedSet(t, is, c, dir, 0)
	for i := range 3 {
		if _, err := lookup(restarted, "k"); err != nil {
			t.Fatalf("lookup %d after the restart: %v, want the key from the state directory", i, err)
		}
	}
	if !stale(restarted) {
		t.Error("keys read back from the state directory are not reported stale")
	}
	if _, err := lookup(restarted, "never-seen"); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("an unknown kid: err = %v, want ErrUnknownKey", err)
	}

	is.handle(discoveryPath, nil)
	is.handle(keysPath, nil)
	c.Advance(DefaultCooldown)
	if _, err := lookup(restarted, "k"); err != nil {
		t.Fatal(err)
	}
	if stale(restarted) {
		t.Error("still reported stale after the issuer answered")
	}
}

func TestARestartWithTheIssuerUpConfirmsTheKeysFromTheStateDirectory(t *testing.T) {
	is, c, dir := newIssuer(t), newClock(), stateDir(t)
	is.publish(ecKey(t, "k"))
	if _, err := lookup(persistedSet(t, is, c, dir, 0), "k"); err != nil {
		t.Fatal(err)
	}
	restarted := persistedSet(t, is, c, dir, 0)
	if _, err := lookup(restarted, "k"); err != nil {
		t.Fatal(err)
	}
	if n := is.requests(keysPath); n != 2 {
		t.Errorf("JWKS requests = %d, want 2 (keys read back are fetched again on first use)", n)
	}
	if stale(restarted) {
		t.Error("reported stale after a fetch")
	}
}

func TestKeysInTheStateDirectoryAreUsedOnlyWithinMaxStaleKeys(t *testing.T) {
	for name, tc := range map[string]struct {
		beforeRestart, afterRestart time.Duration
	}{
		"older than the bound at the restart":        {beforeRestart: 2 * time.Hour},
		"passing the bound while the issuer is down": {beforeRestart: 30 * time.Minute, afterRestart: 31 * time.Minute},
	} {
		t.Run(name, func(t *testing.T) {
			is, c, dir := newIssuer(t), newClock(), stateDir(t)
			is.publish(ecKey(t, "k"))
			if _, err := lookup(persistedSet(t, is, c, dir, time.Hour), "k"); err != nil {
				t.Fatal(err)
			}
			is.down()
			c.Advance(tc.beforeRestart)
			restarted := persistedSet(t, is, c, dir, time.Hour)
			if tc.afterRestart > 0 {
				if _, err := lookup(restarted, "k"); err != nil {
					t.Fatalf("within the bound: %v", err)
				}
				c.Advance(tc.afterRestart)
			}
			var unavailable *providers.UnavailableError
			if _, err := lookup(restarted, "k"); !errors.As(err, &unavailable) {
				t.Fatalf("keys past max_stale_keys: err = %v, want unavailable", err)
			}
			if stale(restarted) {
				t.Error("dropped keys are still reported stale")
			}
		})
	}
}

func TestAStateFileIsNeverUsedForAnotherDocument(t *testing.T) {
	is, c, dir := newIssuer(t), newClock(), stateDir(t)
	is.publish(ecKey(t, "k"))
	if _, err := lookup(persistedSet(t, is, c, dir, 0), "k"); err != nil {
		t.Fatal(err)
	}
	other := newIssuer(t)
	other.down()
	// The first issuer's file placed where the other issuer's would be.
	b, err := os.ReadFile(persistPath(dir, stateKey(is.URL(), "")))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []Options{
		{Issuer: other.URL(), Discovery: true},
		{Issuer: is.URL(), URI: other.URL() + keysPath},
	} {
		if err := os.WriteFile(persistPath(dir, stateKey(o.Issuer, o.URI)), b, 0o600); err != nil {
			t.Fatal(err)
		}
		o.Now, o.StateDir, o.Timeout = c.Now, dir, time.Second
		s, err := New(o)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := lookup(s, "k"); err == nil {
			t.Fatalf("%+v verified with the keys of another document's file", o)
		}
	}
}

func TestAStateDirectoryOthersCanWriteIsNeverRead(t *testing.T) {
	is, c, dir := newIssuer(t), newClock(), stateDir(t)
	is.publish(ecKey(t, "k"))
	if _, err := lookup(persistedSet(t, is, c, dir, 0), "k"); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	is.down()
	if _, err := lookup(persistedSet(t, is, c, dir, 0), "k"); err == nil {
		t.Fatal("keys read from a world-writable state directory")
	}
}

func TestAReloadKeepsTheHeldKeysRatherThanTheStateFile(t *testing.T) {
	is, c, dir := newIssuer(t), newClock(), stateDir(t)
	is.publish(ecKey(t, "k"))
	held := providers.NewKeySetCache()
	share := func(o *Options) { o.StateDir, o.Shared = dir, held }
	if _, err := lookup(discoverySet(t, is, c, share), "k"); err != nil {
		t.Fatal(err)
	}
	held.Prune()
	after := discoverySet(t, is, c, share)
	if _, err := lookup(after, "k"); err != nil {
		t.Fatal(err)
	}
	if stale(after) || is.requests(keysPath) != 1 {
		t.Errorf("a reload with the issuer up: stale %v, %d JWKS requests; want the held, fresh key set", stale(after), is.requests(keysPath))
	}
}

func TestKeysReadBackStayBoundedWhenAReloadNamesTheirURLExplicitly(t *testing.T) {
	is, c, dir := newIssuer(t), newClock(), stateDir(t)
	is.publish(ecKey(t, "k"))
	if _, err := lookup(persistedSet(t, is, c, dir, time.Hour), "k"); err != nil {
		t.Fatal(err)
	}
	is.down()
	held := providers.NewKeySetCache()
	restarted := discoverySet(t, is, c, func(o *Options) { o.StateDir, o.MaxStale, o.Shared = dir, time.Hour, held })
	if _, err := lookup(restarted, "k"); err != nil {
		t.Fatal(err)
	}
	held.Prune()
	explicit, err := New(Options{Issuer: is.URL(), URI: is.URL() + keysPath, Now: c.Now, Shared: held, MaxStale: time.Hour, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lookup(explicit, "k"); err != nil || !stale(explicit) {
		t.Fatalf("after naming the URL: err %v, stale %v; want the key, reported stale", err, stale(explicit))
	}
	c.Advance(2 * time.Hour)
	if _, err := lookup(explicit, "k"); err == nil {
		t.Fatal("keys read back were used past max_stale_keys after a reload named their URL")
	}
}
