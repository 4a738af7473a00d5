package acl

import (
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/regbridge/regbridge/providers"
)

// forgeMode says how a grant item that mirrors forge permissions names the
// forge repository for a registry repository.
type forgeMode uint8

const (
	// forgeOff: the item grants its actions as written.
	forgeOff forgeMode = iota
	// forgeSamePath: the forge repository has the registry name's path
	// (GitLab's nested groups: group/sub/project).
	forgeSamePath
	// forgeOwnerRepo: the forge repository is the first two segments of
	// the registry name (org/app for org/app and org/app/worker), the way
	// Gitea's, Forgejo's and GitHub's own registries link images to
	// repositories.
	forgeOwnerRepo
)

var forgeModes = map[string]forgeMode{"same-path": forgeSamePath, "owner-repo": forgeOwnerRepo}

func (m forgeMode) String() string {
	for k, v := range forgeModes {
		if v == m {
			return k
		}
	}
	return ""
}

// forgeRepository is the forge repository an item of mode m asks about for
// the registry repository name, and false when the name has too few
// segments for the mode.
func forgeRepository(m forgeMode, name string) (string, bool) {
	switch m {
	case forgeSamePath:
		return name, strings.Contains(name, "/")
	case forgeOwnerRepo:
		owner, rest, ok := strings.Cut(name, "/")
		if !ok {
			return "", false
		}
		repo, _, _ := strings.Cut(rest, "/")
		return owner + "/" + repo, true
	}
	return "", false
}

// permissionBits maps a forge permission to the actions it allows: read →
// pull; write → pull, push; admin → pull, push, delete.
func permissionBits(p providers.Permission) uint8 {
	switch p {
	case providers.PermissionRead:
		return bitPull
	case providers.PermissionWrite:
		return bitPull | bitPush
	case providers.PermissionAdmin:
		return bitPull | bitPush | bitDelete | bitStar
	}
	return 0
}

// forgeMask is what the forge lets the identity do on the registry
// repository name through item e: every action for an item that does not
// mirror the forge, and otherwise the actions of the forge's permission on
// the forge repository. A repository the bridge did not look up has none.
func (e *entry) forgeMask(id *providers.Identity, name string) uint8 {
	if e.forge == forgeOff {
		return bitAll
	}
	repo, ok := forgeRepository(e.forge, name)
	if !ok {
		return 0
	}
	return permissionBits(id.Repositories[repo])
}

// ForgeRepositories lists the forge repositories whose permission the
// decision for req needs: for each requested repository scope, every item
// that mirrors forge permissions, belongs to a rule that applies to id and
// matches the name. The bridge asks the identity's forge about exactly these
// (and only when the provider is a forge) before it calls Decide. Sorted,
// without duplicates.
func (p *Policy) ForgeRepositories(id providers.Identity, service string, req []Scope) []string {
	if !p.hasForge {
		return nil
	}
	var out []string
	memo := map[*rule]bool{}
	for _, sc := range req {
		if sc.Type == "registry" {
			continue
		}
		segs := nameSegments(sc.Name)
		if segs == nil {
			continue
		}
		p.index.visit(&id, false, segs, func(e *entry) {
			if e.forge == forgeOff || e.rule.deny {
				return
			}
			ok, seen := memo[e.rule]
			if !seen {
				ok = ruleApplies(e.rule, &id, service, nil)
				memo[e.rule] = ok
			}
			if !ok || !e.matches(&id, segs, func(string) {}) {
				return
			}
			if repo, ok := forgeRepository(e.forge, sc.Name); ok {
				out = append(out, repo)
			}
		})
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// forge parses an item's `forge:` key. Only allow items of rules whose who
// lists forge providers may mirror forge permissions.
func (pr *parser) forge(r *rule, e *entry, n *yaml.Node) {
	s, ok := pr.str(n, "forge")
	if !ok {
		return
	}
	m, known := forgeModes[s]
	switch {
	case !known:
		pr.ps.add(n.Line, "invalid-value", "write forge: same-path or forge: owner-repo", "rule %q: unknown forge mode %q", r.id, s)
		return
	case r.deny:
		pr.ps.add(n.Line, "invalid-value", "remove forge: from the deny item; deny rules remove access whatever the forge says", "rule %q: forge: is only for grant items", r.id)
		return
	case e.catalog:
		pr.ps.add(n.Line, "invalid-value", "remove forge: from the catalog item", "rule %q: the catalog has no forge repository", r.id)
		return
	case r.anyone || r.authed || len(r.providers) == 0:
		pr.ps.add(n.Line, "forge-needs-forge-provider", "name the forge providers: who: [gitea]", "rule %q: forge: needs who to list forge providers", r.id)
		return
	}
	if pr.opts.Providers != nil {
		for _, id := range r.providers {
			if f, known := pr.opts.Providers[id]; known && !f.Forge {
				pr.ps.add(n.Line, "forge-needs-forge-provider", "list only forge providers (gitea, forgejo, github, gitlab) in who, or drop forge:", "rule %q: provider %q (type %s) has no forge permissions to mirror", r.id, id, f.Type)
			}
		}
	}
	e.forge = m
}

// forgeNote tells explain what the forge said about the repository an item
// mirrors, or "" for items that do not mirror a forge.
func forgeNote(e *entry, id *providers.Identity, name string) string {
	if e.forge == forgeOff {
		return ""
	}
	repo, ok := forgeRepository(e.forge, name)
	if !ok {
		return "forge: " + e.forge.String() + ": " + name + " names no forge repository"
	}
	p, asked := id.Repositories[repo]
	if !asked {
		return "forge: " + repo + " was not looked up: no access"
	}
	acts := bitsActions(permissionBits(p) &^ bitStar)
	if len(acts) == 0 {
		return "forge: " + p.String() + " on " + repo + ": no access"
	}
	return "forge: " + p.String() + " on " + repo + " allows " + strings.Join(acts, ",")
}

// repositories parses an inline test identity's `repositories:` mapping,
// the forge's answer the test assumes: {org/app: write, org/lib: read}.
func (pr *parser) repositories(n *yaml.Node, test string) map[string]providers.Permission {
	if n.Kind != yaml.MappingNode {
		pr.ps.add(n.Line, "invalid-value", "write repositories: {org/app: write}", "test %q: repositories must be a mapping of forge repository to none, read, write or admin", test)
		return nil
	}
	out := make(map[string]providers.Permission, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		perm, ok := providers.ParsePermission(v.Value)
		if !ok || v.Kind != yaml.ScalarNode {
			pr.ps.add(v.Line, "invalid-value", "use none, read, write or admin", "test %q: repositories: %q: unknown permission %q", test, k.Value, v.Value)
			return nil
		}
		out[k.Value] = perm
	}
	return out
}
