package state

import (
	"context"
	"testing"
	"time"

	"github.com/regbridge/regbridge/state/redistest"
)

func TestRefreshIdleRecordsExpireAndRevocationsAreSharedInRedis(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	a, b := newStore(t, srv.URL(0), Options{}), newStore(t, srv.URL(0), Options{})
	ctx := context.Background()
	if alive, err := b.TouchRefresh(ctx, "never-started", time.Minute, time.Time{}); err != nil || alive {
		t.Fatalf("a token never started is alive=%v err=%v", alive, err)
	}
	if err := a.StartRefresh(ctx, "t1", 150*time.Millisecond, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if alive, err := b.TouchRefresh(ctx, "t1", 150*time.Millisecond, time.Time{}); err != nil || !alive {
		t.Fatalf("a fresh token at the other store: alive=%v err=%v", alive, err)
	}
	time.Sleep(300 * time.Millisecond)
	if alive, _ := a.TouchRefresh(ctx, "t1", 150*time.Millisecond, time.Time{}); alive {
		t.Error("a token idle for longer than its idle timeout is alive")
	}
	at := time.UnixMilli(time.Now().UnixMilli())
	if err := a.RevokeRefresh(ctx, "k2", at, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, err := b.RefreshRevokedAt(ctx, []string{"k1", "k2", "k3"})
	if err != nil || !got.Equal(at) {
		t.Fatalf("revoked at %v (%v), want %v", got, err, at)
	}
	keys, err := inspect(t, srv, 0).Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if len(k) != len(DefaultKeyPrefix)+64 {
			t.Errorf("key %q is not a prefix and a hash", k)
		}
	}
}

func TestMemoryRefreshForgetsIdleTokensAndKeepsRevocationsUntilTheirEnd(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := NewMemoryRefresh(2, func() time.Time { return now })
	ctx := context.Background()
	end := now.Add(time.Hour)
	if err := m.StartRefresh(ctx, "t", 10*time.Minute, end); err != nil {
		t.Fatal(err)
	}
	now = now.Add(9 * time.Minute)
	if alive, _ := m.TouchRefresh(ctx, "t", 10*time.Minute, end); !alive {
		t.Fatal("used within the idle timeout, refused")
	}
	now = now.Add(11 * time.Minute)
	if alive, _ := m.TouchRefresh(ctx, "t", 10*time.Minute, end); alive {
		t.Fatal("idle for 11 minutes, accepted")
	}
	m.RevokeRefresh(ctx, "k", now, now.Add(time.Minute))
	if got, _ := m.RefreshRevokedAt(ctx, []string{"k"}); !got.Equal(now) {
		t.Fatalf("revoked at %v", got)
	}
	now = now.Add(2 * time.Minute)
	if got, _ := m.RefreshRevokedAt(ctx, []string{"k"}); !got.IsZero() {
		t.Fatal("a revocation outlived its record")
	}
	m.StartRefresh(ctx, "a", time.Hour, time.Time{})
	m.StartRefresh(ctx, "b", time.Hour, time.Time{})
	if err := m.StartRefresh(ctx, "c", time.Hour, time.Time{}); err == nil {
		t.Fatal("a full store accepted a new record instead of failing closed")
	}
}
