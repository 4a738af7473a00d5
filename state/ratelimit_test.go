package state

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/state/redistest"
)

func TestTwoStoresSharingRedisAllowOneBurstBetweenThem(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	a, b := newStore(t, srv.URL(0), Options{}), newStore(t, srv.URL(0), Options{})
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := a
			if i%2 == 1 {
				s = b
			}
			ok, _, err := s.Take(context.Background(), "bucket", time.Hour, 10, 1)
			if err != nil {
				t.Error(err)
			}
			if ok {
				allowed.Add(1)
			}
		}()
	}
	wg.Wait()
	if got := allowed.Load(); got != 10 {
		t.Fatalf("%d requests allowed between the two stores, want the burst of 10", got)
	}
	ok, retry, err := a.Take(context.Background(), "bucket", time.Hour, 10, 1)
	if err != nil || ok || retry < 59*time.Minute || retry > time.Hour {
		t.Fatalf("over the burst: ok %v retry %s err %v, want refused for about an hour", ok, retry, err)
	}
}

func TestARateLimitPeekChargesNothingAndKeysHoldNoClientText(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	r := newStore(t, srv.URL(0), Options{})
	for range 5 {
		if ok, _, err := r.Take(context.Background(), "u:alice@198.51.100.7", time.Hour, 1, 0); err != nil || !ok {
			t.Fatalf("peek: %v %v", ok, err)
		}
	}
	if ok, _, _ := r.Take(context.Background(), "u:alice@198.51.100.7", time.Hour, 1, 1); !ok {
		t.Fatal("the first charge after peeks was refused")
	}
	if ok, _, _ := r.Take(context.Background(), "u:alice@198.51.100.7", time.Hour, 1, 0); ok {
		t.Fatal("a peek over the burst was allowed")
	}
	keys, err := inspect(t, srv, 0).Keys(context.Background(), "*").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("keys %v %v", keys, err)
	}
	if strings.Contains(keys[0], "alice") || !strings.HasPrefix(keys[0], DefaultKeyPrefix) {
		t.Fatalf("key %q", keys[0])
	}
	ttl, _ := inspect(t, srv, 0).PTTL(context.Background(), keys[0]).Result()
	if ttl <= 0 || ttl > time.Hour+time.Second {
		t.Fatalf("key TTL %s, want at most the bucket's refill time", ttl)
	}
}

func TestARateLimitStepWithRedisDownIsUnavailable(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	r := newStore(t, srv.URL(0), Options{Timeout: 200 * time.Millisecond})
	srv.Stop()
	_, _, err := r.Take(context.Background(), "k", time.Second, 1, 1)
	var ue *providers.UnavailableError
	if !errors.Is(err, providers.ErrUnavailable) || !errors.As(err, &ue) {
		t.Fatalf("err %v, want an UnavailableError", err)
	}
}
