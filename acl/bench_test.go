package acl

import (
	"fmt"
	"strings"
	"testing"

	"github.com/regbridge/regbridge/providers"
)

// benchPolicy writes n rules shaped like a large installation: per-user
// namespaces, per-team prefixes with group conditions, CI rules with claim
// conditions, spread over four providers, plus a few rules for everyone.
func benchPolicy(n int) string {
	var b strings.Builder
	b.WriteString("version: 1\nrules:\n")
	b.WriteString("  - id: public\n    who: anyone\n    grant: [{repository: \"public/**\"}]\n")
	b.WriteString("  - id: freeze\n    effect: deny\n    who: anyone\n    deny: [{repository: \"public/frozen/**\", actions: [push, delete]}]\n")
	provs := []string{"users", "ldap", "github", "authority"}
	for i := 2; i < n; i++ {
		p := provs[(i/3)%len(provs)]
		switch i % 3 {
		case 0:
			fmt.Fprintf(&b, "  - id: user-%d\n    who: [%s]\n    when: {username: u%d}\n    grant: [{repository: \"users/u%d/**\", actions: [pull, push, delete]}]\n", i, p, i, i)
		case 1:
			fmt.Fprintf(&b, "  - id: team-%d\n    who: [%s]\n    when: {groups: [t%d]}\n    grant: [{repository: \"teams/t%d/**\", actions: [pull, push]}]\n    token_ttl: 10m\n", i, p, i, i)
		default:
			fmt.Fprintf(&b, "  - id: ci-%d\n    who: [%s]\n    when: {claims: {project_id: \"%d\", event: {in: [push, tag]}, ref: {glob: \"refs/tags/v*\"}}}\n    grant: [{repository: \"ci/p%d/${claims.name|lower}\", actions: [pull, push]}]\n", i, p, i, i)
		}
	}
	return b.String()
}

func benchRequest(n int) (providers.Identity, []Scope) {
	u, t, c := 3, 4, 5 // users, team and ci rule ids that exist for every n >= 10
	if n >= 1000 {
		u, t, c = 603, 604, 605
	}
	id := providers.Identity{Provider: []string{"users", "ldap", "github", "authority"}[(u/3)%4], Username: fmt.Sprintf("u%d", u),
		Groups: []string{fmt.Sprintf("t%d", t), "other"}, Claims: map[string]any{"project_id": float64(c), "event": "push", "ref": "refs/tags/v1", "name": "App"}}
	raw := []string{
		fmt.Sprintf("repository:users/u%d/app:pull,push", u),
		fmt.Sprintf("repository:teams/t%d/api:pull", t),
		fmt.Sprintf("repository:ci/p%d/app:push", c),
		"repository:public/base:pull",
	}
	req, _ := ParseScopes(raw)
	return id, req
}

func BenchmarkDecide(b *testing.B) {
	for _, n := range []int{10, 1000, 10000} {
		p, err := Parse([]byte(benchPolicy(n)), "bench.yaml", Options{})
		if err != nil {
			b.Fatal(err)
		}
		id, req := benchRequest(n)
		if d := p.Decide(id, "r", req); len(d.Granted) < 3 {
			b.Fatalf("n=%d: bench request granted only %v", n, d.Granted)
		}
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p.Decide(id, "r", req)
			}
		})
	}
}

func BenchmarkLoad10000Rules(b *testing.B) {
	src := []byte(benchPolicy(10000))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(src, "bench.yaml", Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
