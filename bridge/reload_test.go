package bridge

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/regbridge/regbridge/acl"
	"github.com/regbridge/regbridge/providers"
)

// Two policies that decide the same request differently: a response must
// match one of them exactly, never a mix.
const (
	reloadPolicyA = `version: 1
rules:
  - {id: a, who: anyone, grant: [{repository: "public/**", actions: [pull]}]}
`
	reloadPolicyB = `version: 1
rules:
  - {id: b1, who: anyone, grant: [{repository: "public/**", actions: [pull, push]}]}
  - {id: b2, who: anyone, grant: [{repository: "other/**", actions: [pull]}]}
`
	reloadPolicyBad = `version: 1
rules:
  - {id: x, who: anyone, grant: [{repository: "public/**", actions: [fly]}]}
`
)

func TestReloadUnderLoadNeverServesAHalfLoadedPolicy(t *testing.T) {
	e := newTestEnv(t, reloadPolicyA)
	parse := func(src string) (*acl.Policy, error) {
		return acl.Parse([]byte(src), "policy.yaml", acl.Options{Providers: map[string]providers.PolicyFacts{"users": {Type: "static"}}})
	}
	polA, err := parse(reloadPolicyA)
	if err != nil {
		t.Fatal(err)
	}
	polB, err := parse(reloadPolicyB)
	if err != nil {
		t.Fatal(err)
	}
	base := e.srv.State()
	var stop atomic.Bool
	var reloads, refused atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; !stop.Load(); i++ {
			switch i % 3 {
			case 0:
				e.srv.Swap(base.WithPolicy(polB), "test")
			case 1:
				if _, err := parse(reloadPolicyBad); err != nil {
					e.srv.RefuseReload("test", err)
					refused.Add(1)
				} else {
					t.Error("bad policy parsed")
				}
			case 2:
				e.srv.Swap(base.WithPolicy(polA), "test")
			}
			reloads.Add(1)
		}
	}()
	const workers, perWorker = 8, 250
	var failures atomic.Int64
	var sawA, sawB atomic.Int64
	var reqs sync.WaitGroup
	for w := 0; w < workers; w++ {
		reqs.Add(1)
		go func() {
			defer reqs.Done()
			for i := 0; i < perWorker; i++ {
				rec := e.get(t, "service=registry.test&scope=repository:public/a:pull,push&scope=repository:other/b:pull", "alice", "alice-pw")
				if rec.Code != 200 {
					failures.Add(1)
					continue
				}
				_, c, _ := decodeToken(t, rec, e.key)
				switch granted(c) {
				case "repository:public/a:pull":
					sawA.Add(1)
				case "repository:public/a:pull,push repository:other/b:pull":
					sawB.Add(1)
				default:
					t.Errorf("mixed decision %q", granted(c))
				}
			}
		}()
	}
	reqs.Wait()
	stop.Store(true)
	wg.Wait()
	if failures.Load() != 0 {
		t.Errorf("%d requests failed during reloads", failures.Load())
	}
	if reloads.Load() < 3 || refused.Load() == 0 {
		t.Errorf("only %d reloads (%d refused): the test did not exercise reloading", reloads.Load(), refused.Load())
	}
	if st := e.srv.LastReload(); st.Refused != uint64(refused.Load()) {
		t.Errorf("refused counter %d, want %d", st.Refused, refused.Load())
	}
	t.Logf("%d tokens under policy A, %d under B, %d reloads, %d refused", sawA.Load(), sawB.Load(), reloads.Load(), refused.Load())
}

func TestRefusedReloadKeepsTheLastGoodPolicy(t *testing.T) {
	e := newTestEnv(t, reloadPolicyA)
	e.srv.RefuseReload("policy.yaml", errors.New("policy.yaml:3: bad action"))
	_, c, _ := decodeToken(t, e.get(t, "service=registry.test&scope=repository:public/a:pull", "", ""), e.key)
	if granted(c) != "repository:public/a:pull" {
		t.Errorf("granted %q", granted(c))
	}
	rec := httptestGet(e.srv, "/readyz")
	if rec.Code != 200 || !contains(rec.Body.String(), `"error":"policy.yaml:3: bad action"`, `"refused_total":1`) {
		t.Errorf("readyz %d %s", rec.Code, rec.Body)
	}
}
