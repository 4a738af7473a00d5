package acl

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/regbridge/regbridge/providers"
)

var (
	randPatterns = []string{"**", "public/**", "a/*", "a/b", "a/b/**", "team-*/app", "${username}/**", "u/${username}",
		"g/${group}/**", "c/${claims.repo|path|lower}", "c/${claims.repo}", "p/${provider}/*", "a/**"}
	randNames = []string{"public/x", "a/b", "a/c", "a/b/c", "team-x/app", "alice/x", "u/alice", "g/dev/x", "g/ops",
		"c/org/app", "c/app", "p/users/x", "p/github/y", "public", "x"}
	randConds = []string{"", "when: {groups: [dev]}", "when: {claims: {event: push}}", "when: {claims: {event: {in: [push, tag]}}}",
		"when: {username: {glob: \"a*\"}}", "when: {claims: {missing: {exists: false}}}", "when: {any_of: [{groups: [ops]}, {claims: {event: tag}}]}"}
	randWho     = []string{"anyone", "authenticated", "[users]", "[github]", "[users, github]"}
	randActions = []string{"[pull]", "[pull, push]", "[\"*\"]", "[delete]", "[push, delete]"}
)

func randomPolicy(rng *rand.Rand, n int) string {
	var b strings.Builder
	b.WriteString("version: 1\nrules:\n")
	for i := 0; i < n; i++ {
		deny := rng.IntN(5) == 0
		fmt.Fprintf(&b, "  - id: r%d\n    who: %s\n", i, randWho[rng.IntN(len(randWho))])
		if c := randConds[rng.IntN(len(randConds))]; c != "" {
			fmt.Fprintf(&b, "    %s\n", c)
		}
		key := "grant"
		if deny {
			key = "deny"
			b.WriteString("    effect: deny\n")
			if rng.IntN(2) == 0 {
				b.WriteString("    respond: forbidden\n    reason: no\n")
			}
		} else if rng.IntN(3) == 0 {
			fmt.Fprintf(&b, "    token_ttl: %dm\n", 1+rng.IntN(20))
		}
		fmt.Fprintf(&b, "    allow_lint: [anyone-push]\n    %s:\n", key)
		for j := 0; j <= rng.IntN(2); j++ {
			fmt.Fprintf(&b, "      - {repository: %q, actions: %s}\n", randPatterns[rng.IntN(len(randPatterns))], randActions[rng.IntN(len(randActions))])
		}
		if rng.IntN(8) == 0 {
			fmt.Fprintf(&b, "      - {registry: catalog}\n")
		}
	}
	return b.String()
}

func randomIdentity(rng *rand.Rand) providers.Identity {
	switch rng.IntN(4) {
	case 0:
		return providers.Identity{Anonymous: true}
	case 1:
		return providers.Identity{Provider: "users", Username: []string{"alice", "bob", "Alice"}[rng.IntN(3)], Groups: [][]string{nil, {"dev"}, {"ops", "dev"}}[rng.IntN(3)]}
	default:
		return providers.Identity{Provider: "github", Username: "alice", Claims: map[string]any{
			"event": []string{"push", "tag", "pr"}[rng.IntN(3)], "repo": []string{"Org/App", "app", "../x", "org/app"}[rng.IntN(4)]}}
	}
}

func randomRequest(t testing.TB, rng *rand.Rand) []Scope {
	var raw []string
	for i := 0; i <= rng.IntN(4); i++ {
		raw = append(raw, "repository:"+randNames[rng.IntN(len(randNames))]+":"+[]string{"pull", "push", "pull,push", "*", "delete"}[rng.IntN(5)])
	}
	if rng.IntN(6) == 0 {
		raw = append(raw, "registry:catalog:*")
	}
	return mustScopes(t, raw...)
}

// TestShuffledRulesNeverChangeADecision is the order-independence property:
// grants are sets, deny always wins, and the 403 rule is chosen by id.
func TestShuffledRulesNeverChangeADecision(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for i := 0; i < 200; i++ {
		src := randomPolicy(rng, 10)
		p := mustParse(t, src)
		header, rules, _ := strings.Cut(src, "rules:\n")
		blocks := strings.Split(rules, "  - id: ")[1:]
		rng.Shuffle(len(blocks), func(a, b int) { blocks[a], blocks[b] = blocks[b], blocks[a] })
		q := mustParse(t, header+"rules:\n  - id: "+strings.Join(blocks, "  - id: "))
		for j := 0; j < 20; j++ {
			id, req := randomIdentity(rng), randomRequest(t, rng)
			if a, b := p.Decide(id, "r", req), q.Decide(id, "r", req); !reflect.DeepEqual(a, b) {
				t.Fatalf("shuffling changed the decision for %+v %v:\n%+v\n%+v\npolicy:\n%s", id, req, a, b, src)
			}
		}
	}
}

func TestGrantedActionsAreAlwaysASubsetOfTheRequest(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for i := 0; i < 300; i++ {
		p := mustParse(t, randomPolicy(rng, 8))
		id, req := randomIdentity(rng), randomRequest(t, rng)
		for _, g := range p.Decide(id, "r", req).Granted {
			checkSubset(t, g, req)
		}
	}
}

func checkSubset(t *testing.T, g Scope, req []Scope) {
	t.Helper()
	for _, r := range req {
		if r.Type != g.Type || r.Name != g.Name {
			continue
		}
		for _, a := range g.Actions {
			if a == ActionAll && g.Type == "repository" {
				t.Fatalf("a repository grant carries *: %v", g)
			}
			if !strings.Contains(","+strings.Join(r.Actions, ",")+",", ","+a+",") && !strings.Contains(strings.Join(r.Actions, ","), "*") {
				t.Fatalf("granted %v beyond the request %v", g, r)
			}
		}
		return
	}
	t.Fatalf("granted %v was not requested", g)
}
