package acl

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/regbridge/regbridge/providers"
)

func TestExplainSaysWhyARequestWasDenied(t *testing.T) {
	p, err := Load("../testdata/policies/github-actions.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	id := providers.Identity{Provider: "github", Claims: map[string]any{
		"repository": "Org/App", "repository_owner_id": "1234567", "event_name": "pull_request_target", "ref": "refs/heads/main"}}
	ex := p.Explain(id, "registry.example.com", mustScopes(t, "repository:ci/org/app:push"))
	out := ex.String()
	for _, want := range []string{
		`claims.event_name: "pull_request_target" is not in ["push", "workflow_dispatch"]`,
		`claims.ref: "refs/heads/main" does not match glob "refs/tags/v*"`,
		`ALLOW allow rule "ci-read" (line 17)`,
		"=> no access",
		"result: token with no access",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("explanation lacks %q:\n%s", want, out)
		}
	}
	js, err := json.Marshal(ex)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(js, &back); err != nil || back["scopes"] == nil {
		t.Fatalf("JSON form %s: %v", js, err)
	}
}

func TestExplainShowsForbiddenAndDroppedGrants(t *testing.T) {
	p, err := Load("../testdata/policies/stellaops.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	ex := p.Explain(providers.Identity{Provider: "authority", Claims: map[string]any{"stellaops:plan": "pro", "stellaops:license": "LIC-0007"}},
		"registry.example.com", mustScopes(t, "repository:stella-ops/pro/scanner:pull"))
	if ex.Forbidden == nil || ex.Forbidden.Rule != "revoked-licences" || !strings.Contains(ex.String(), `403 forbidden by rule "revoked-licences": licence revoked`) {
		t.Fatalf("explanation:\n%s", ex)
	}
	q, _ := Load("../testdata/policies/github-actions.yaml", Options{})
	ex = q.Explain(providers.Identity{Provider: "github", Claims: map[string]any{
		"repository": "Org/../admin", "repository_owner_id": "1234567", "event_name": "push", "ref": "refs/tags/v1"}},
		"registry.example.com", mustScopes(t, "repository:ci/admin:push"))
	if len(ex.Dropped) != 1 || !strings.Contains(ex.String(), "dropped grant: ci-release: ${claims.repository|path|lower}") {
		t.Fatalf("explanation:\n%s", ex)
	}
}

// TestExplainAgreesWithDecide checks that the explanation (every rule, no
// index) reaches the decision Decide reaches (the index).
func TestExplainAgreesWithDecide(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 300; i++ {
		p := mustParse(t, randomPolicy(rng, 12))
		id := randomIdentity(rng)
		req := randomRequest(t, rng)
		d := p.Decide(id, "r", req)
		ex := p.Explain(id, "r", req)
		var granted []string
		for _, g := range d.Granted {
			granted = append(granted, g.String())
		}
		if !slices.Equal(granted, ex.Granted) || !slices.Equal(d.Rules, ex.Rules) || (d.Forbidden == nil) != (ex.Forbidden == nil) {
			t.Fatalf("Decide %v %v %v, Explain %v %v %v", granted, d.Rules, d.Forbidden, ex.Granted, ex.Rules, ex.Forbidden)
		}
	}
}
