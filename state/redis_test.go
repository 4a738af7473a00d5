package state

import (
	"context"
	"errors"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/state/redistest"
)

func newStore(t *testing.T, url string, opts Options) *Redis {
	t.Helper()
	r, err := NewRedis(url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// inspect is a plain client for looking at what the store wrote.
func inspect(t *testing.T, srv *redistest.Server, db int) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: srv.Addr, DB: db, Protocol: 2, DisableIdentity: true})
	t.Cleanup(func() { c.Close() })
	return c
}

func remember(t *testing.T, r *Redis, key string, until time.Time) bool {
	t.Helper()
	fresh, err := r.Remember(context.Background(), key, until)
	if err != nil {
		t.Fatalf("Remember(%q): %v", key, err)
	}
	return fresh
}

func TestReplayedKeyIsRefusedAcrossTwoStoresSharingRedis(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	replicaA := newStore(t, srv.URL(0), Options{})
	replicaB := newStore(t, srv.URL(0), Options{})
	until := time.Now().Add(time.Minute)
	if !remember(t, replicaA, "dpop:thumb:https://regbridge.example/token:jti-1", until) {
		t.Fatal("first use at replica A was not fresh")
	}
	if remember(t, replicaB, "dpop:thumb:https://regbridge.example/token:jti-1", until) {
		t.Error("the same key at replica B was fresh: a replay across replicas was accepted")
	}
	if remember(t, replicaA, "dpop:thumb:https://regbridge.example/token:jti-1", until) {
		t.Error("the same key at replica A again was fresh")
	}
	if !remember(t, replicaB, "dpop:thumb:https://regbridge.example/token:jti-2", until) {
		t.Error("another key at replica B was not fresh")
	}
}

func TestConcurrentUsesOfOneKeyAcrossReplicasAcceptExactlyOne(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	stores := []*Redis{newStore(t, srv.URL(0), Options{}), newStore(t, srv.URL(0), Options{})}
	var fresh atomic.Int32
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := stores[i%2].Remember(context.Background(), "oidc:iss:jti:race", time.Now().Add(time.Minute))
			if err != nil {
				t.Error(err)
			}
			if ok {
				fresh.Add(1)
			}
		}()
	}
	wg.Wait()
	if got := fresh.Load(); got != 1 {
		t.Errorf("%d of 64 concurrent uses were fresh, want exactly 1", got)
	}
}

func TestExpiryFreesAKey(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	r := newStore(t, srv.URL(0), Options{})
	until := time.Now().Add(150 * time.Millisecond)
	if !remember(t, r, "k", until) {
		t.Fatal("first use was not fresh")
	}
	if remember(t, r, "k", until) {
		t.Fatal("second use before expiry was fresh")
	}
	time.Sleep(time.Until(until) + 50*time.Millisecond)
	if !remember(t, r, "k", time.Now().Add(time.Minute)) {
		t.Error("the key was still refused after it expired")
	}
}

func TestKeysExpireAtTheirUntilTime(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	r := newStore(t, srv.URL(0), Options{})
	remember(t, r, "k", time.Now().Add(90*time.Second))
	ttl, err := inspect(t, srv, 0).PTTL(context.Background(), r.key("k")).Result()
	if err != nil {
		t.Fatal(err)
	}
	if ttl < 85*time.Second || ttl > 90*time.Second {
		t.Errorf("PTTL %v, want about 90s", ttl)
	}
}

func TestAnAlreadyExpiredKeyIsFreshButNotStored(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	r := newStore(t, srv.URL(0), Options{})
	for _, until := range []time.Time{time.Now().Add(-time.Second), {}, time.Unix(0, 0)} {
		if !remember(t, r, "old", until) {
			t.Errorf("until %v: not fresh", until)
		}
	}
	if n, err := inspect(t, srv, 0).Exists(context.Background(), r.key("old")).Result(); err != nil || n != 0 {
		t.Errorf("EXISTS %d %v, want 0", n, err)
	}
}

func TestRawKeysNeverAppearInRedis(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	r := newStore(t, srv.URL(0), Options{})
	secrets := []string{
		"oidc:https://token.actions.githubusercontent.com:sha256:eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvIn0.c2ln",
		"oidc:https://gitlab.example:jti:4f1c-secret-jti",
		"dpop:NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs:https://regbridge.example/token:e1j3V_bKic8-LAEB",
	}
	until := time.Now().Add(time.Minute)
	for _, s := range secrets {
		remember(t, r, s, until)
	}
	c := inspect(t, srv, 0)
	keys, err := c.Keys(context.Background(), "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != len(secrets) {
		t.Fatalf("KEYS * = %q, want %d keys", keys, len(secrets))
	}
	hashed := regexp.MustCompile(`^regbridge:replay:[0-9a-f]{64}$`)
	for _, k := range keys {
		if !hashed.MatchString(k) {
			t.Errorf("key %q is not the prefix and a SHA-256", k)
		}
		for _, s := range secrets {
			for _, part := range strings.Split(s, ":") {
				if len(part) > 8 && strings.Contains(k, part) {
					t.Errorf("key %q contains raw material %q", k, part)
				}
			}
		}
		if v, err := c.Get(context.Background(), k).Result(); err != nil || v != "1" {
			t.Errorf("value of %s = %q %v, want \"1\"", k, v, err)
		}
	}
}

func TestKeyPrefixAndDatabaseSeparateDeployments(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	until := time.Now().Add(time.Minute)
	prod := newStore(t, srv.URL(0), Options{})
	staging := newStore(t, srv.URL(0), Options{KeyPrefix: "staging:replay:"})
	other := newStore(t, srv.URL(3), Options{})
	for name, r := range map[string]*Redis{"prod": prod, "staging": staging, "db 3": other} {
		if !remember(t, r, "same-key", until) {
			t.Errorf("%s: not fresh, but no store of its prefix and database saw the key", name)
		}
	}
	if keys, _ := inspect(t, srv, 3).Keys(context.Background(), "regbridge:replay:*").Result(); len(keys) != 1 {
		t.Errorf("db 3 holds %q, want one key", keys)
	}
	if keys, _ := inspect(t, srv, 0).Keys(context.Background(), "staging:replay:*").Result(); len(keys) != 1 {
		t.Errorf("db 0 holds %q under staging:replay:, want one key", keys)
	}
}

func TestPasswordAuthenticates(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{Password: "s3cret-pass"})
	until := time.Now().Add(time.Minute)
	cases := []struct {
		name string
		url  string
		opts Options
		ok   bool
	}{
		{"the password from the options (password_file) is used", srv.URL(0), Options{Password: "s3cret-pass"}, true},
		{"the password from the URL is used", "redis://:s3cret-pass@" + srv.Addr + "/0", Options{}, true},
		{"the options' password overrides the URL's", "redis://:wrong@" + srv.Addr + "/0", Options{Password: "s3cret-pass"}, true},
		{"a wrong password is unavailable, never fresh", "redis://:wrong@" + srv.Addr + "/0", Options{}, false},
		{"no password is unavailable, never fresh", srv.URL(0), Options{}, false},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newStore(t, tc.url, tc.opts)
			fresh, err := r.Remember(context.Background(), "key-"+string(rune('a'+i)), until)
			if tc.ok && (err != nil || !fresh) {
				t.Fatalf("fresh %v, err %v; want fresh", fresh, err)
			}
			if !tc.ok {
				if fresh || !errors.Is(err, providers.ErrUnavailable) {
					t.Fatalf("fresh %v, err %v; want ErrUnavailable", fresh, err)
				}
				if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "wrong") {
					t.Errorf("error %q shows a password", err)
				}
			}
		})
	}
}

func assertUnavailable(t *testing.T, fresh bool, err error) {
	t.Helper()
	if fresh {
		t.Error("reported fresh while Redis failed")
	}
	if !errors.Is(err, providers.ErrUnavailable) {
		t.Fatalf("err %v, want ErrUnavailable", err)
	}
	var ue *providers.UnavailableError
	if !errors.As(err, &ue) || ue.RetryAfter <= 0 {
		t.Errorf("err %v carries no Retry-After", err)
	}
	if !strings.HasPrefix(err.Error(), "state: redis: ") {
		t.Errorf("err %q lacks the state: redis: prefix", err)
	}
}

func TestRedisDownIsUnavailableNeverFresh(t *testing.T) {
	t.Run("the server stops after the store has connected", func(t *testing.T) {
		srv := redistest.Start(t, redistest.Options{})
		r := newStore(t, srv.URL(0), Options{Timeout: 500 * time.Millisecond})
		if !remember(t, r, "before", time.Now().Add(time.Minute)) {
			t.Fatal("not fresh while Redis was up")
		}
		srv.Stop()
		for _, key := range []string{"before", "after"} {
			fresh, err := r.Remember(context.Background(), key, time.Now().Add(time.Minute))
			assertUnavailable(t, fresh, err)
		}
		assertUnavailable(t, false, r.Ping(context.Background()))
	})
	t.Run("nothing listens at the address", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		r := newStore(t, "redis://"+addr+"/0", Options{Timeout: 500 * time.Millisecond})
		fresh, err := r.Remember(context.Background(), "k", time.Now().Add(time.Minute))
		assertUnavailable(t, fresh, err)
	})
	t.Run("a server that accepts but never answers times out", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		var conns []net.Conn
		var mu sync.Mutex
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
			}
		}()
		defer func() {
			mu.Lock()
			defer mu.Unlock()
			for _, c := range conns {
				c.Close()
			}
		}()
		r := newStore(t, "redis://"+ln.Addr().String()+"/0", Options{Timeout: 200 * time.Millisecond, RetryAfter: 3 * time.Second})
		start := time.Now()
		fresh, err := r.Remember(context.Background(), "k", time.Now().Add(time.Minute))
		took := time.Since(start)
		assertUnavailable(t, fresh, err)
		if took > 2*time.Second {
			t.Errorf("took %v with a 200ms timeout", took)
		}
		var ue *providers.UnavailableError
		if errors.As(err, &ue) && ue.RetryAfter != 3*time.Second {
			t.Errorf("Retry-After %v, want the configured 3s", ue.RetryAfter)
		}
	})
	t.Run("a cancelled request is unavailable, never fresh", func(t *testing.T) {
		srv := redistest.Start(t, redistest.Options{})
		r := newStore(t, srv.URL(0), Options{})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		fresh, err := r.Remember(ctx, "k", time.Now().Add(time.Minute))
		assertUnavailable(t, fresh, err)
	})
}

func TestStringHidesThePassword(t *testing.T) {
	r, err := NewRedis("rediss://user:hunter2@redis.example:6380/2", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got, want := r.String(), "rediss://user:REDACTED@redis.example:6380/2"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestExpireAtRoundsUpAndStaysPositive(t *testing.T) {
	cases := []struct {
		name  string
		until time.Time
		want  int64
	}{
		{"a whole millisecond is kept", time.UnixMilli(1_700_000_000_123), 1_700_000_000_123},
		{"a part of a millisecond rounds up", time.UnixMilli(1_700_000_000_123).Add(time.Microsecond), 1_700_000_000_124},
		{"the zero time becomes 1", time.Time{}, 1},
		{"the Unix epoch becomes 1", time.Unix(0, 0), 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := expireAt(tc.until); got != tc.want {
				t.Errorf("expireAt = %d, want %d", got, tc.want)
			}
		})
	}
}

// BenchmarkRemember measures one fresh Remember (a SET NX PXAT round trip on
// loopback), from parallel goroutines as concurrent requests would.
func BenchmarkRemember(b *testing.B) {
	srv := redistest.Start(b, redistest.Options{})
	r, err := NewRedis(srv.URL(0), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	until := time.Now().Add(time.Minute)
	var n atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			key := "dpop:thumbprint:https://regbridge.example/token:" + strings.Repeat("j", 22) + strconv.FormatInt(n.Add(1), 10)
			if fresh, err := r.Remember(context.Background(), key, until); err != nil || !fresh {
				b.Fatalf("fresh %v err %v", fresh, err)
			}
		}
	})
}
