package bridge

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/regbridge/regbridge/state"
	"github.com/regbridge/regbridge/state/redistest"
)

func TestTwoReplicasSharingRedisShareRefreshTokensAndTheirRevocation(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	store := func() *state.Redis {
		r, err := state.NewRedis(srv.URL(0), state.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		return r
	}
	key := testKey(t)
	a := newRefreshEnv(t, refreshPolicies(), store(), key)
	b := newRefreshEnv(t, refreshPolicies(), store(), key)
	// Redis expires records by its own clock.
	a.now, b.now = time.Now(), time.Now()

	rt := a.mustLogin("ci", "id-token-7")
	if w := b.redeem(rt, "registry.test", "oras-go", "repository:org/app/img:push"); w.Code != http.StatusOK {
		t.Fatalf("replica b refused a token replica a issued: %d %s", w.Code, w.Body)
	}
	b.advance(time.Second)
	if err := RevokeRefresh(context.Background(), a.store, Revocation{Provider: "ci", Claim: "run_id", Value: "7"}, a.clock()); err != nil {
		t.Fatal(err)
	}
	b.refusedWith(b.redeem(rt, "registry.test", "oras-go", "repository:org/app/img:push"), "refresh_revoked")

	t.Run("a token unknown to the shared store is refused as idle at every replica", func(t *testing.T) {
		mem := newRefreshEnv(t, refreshPolicies(), nil, key)
		mem.now = b.clock()
		orphan := mem.mustLogin("ci", "id-token-8")
		b.refusedWith(b.redeem(orphan, "registry.test", "docker", ""), "refresh_idle")
	})
}
