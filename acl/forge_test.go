package acl

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/regbridge/regbridge/providers"
)

const forgePolicy = `version: 1
rules:
  - id: mirror
    who: [gitea]
    grant:
      - {repository: "**", actions: [pull, push, delete], forge: owner-repo}
  - id: nested
    who: [gitlab]
    grant:
      - {repository: "**", actions: [pull, push], forge: same-path}
  - id: freeze
    effect: deny
    who: anyone
    deny: [{repository: "acme/frozen/**", actions: [push, delete]}]
tests:
  - name: a writer of the forge repository may push
    identity: {provider: gitea, username: bob, repositories: {acme/app: write}}
    request: ["repository:acme/app:pull,push"]
    expect: ["repository:acme/app:pull,push"]
  - name: a reader may only pull, also images below the repository
    identity: {provider: gitea, username: alice, repositories: {acme/app: read}}
    request: ["repository:acme/app/worker:pull,push"]
    expect: ["repository:acme/app/worker:pull"]
  - name: a deny rule wins over the forge
    identity: {provider: gitea, username: root, repositories: {acme/frozen: admin}}
    request: ["repository:acme/frozen:pull,push,delete"]
    expect: ["repository:acme/frozen:pull"]
`

func forgeIdentity(provider string, repos map[string]providers.Permission) providers.Identity {
	return providers.Identity{Provider: provider, Subject: "7", Username: "bob", Repositories: repos}
}

func TestForgePermissionsCapWhatAMirroringItemGrants(t *testing.T) {
	p := mustParse(t, forgePolicy)
	tests := []struct {
		name     string
		provider string
		repos    map[string]providers.Permission
		req      string
		want     []string
	}{
		{"read allows pull only", "gitea", map[string]providers.Permission{"acme/app": providers.PermissionRead}, "repository:acme/app:pull,push,delete", []string{"repository:acme/app:pull"}},
		{"write allows pull and push", "gitea", map[string]providers.Permission{"acme/app": providers.PermissionWrite}, "repository:acme/app:pull,push,delete", []string{"repository:acme/app:pull,push"}},
		{"admin allows delete", "gitea", map[string]providers.Permission{"acme/app": providers.PermissionAdmin}, "repository:acme/app:*", []string{"repository:acme/app:delete,pull,push"}},
		{"none allows nothing", "gitea", map[string]providers.Permission{"acme/app": providers.PermissionNone}, "repository:acme/app:pull", nil},
		{"a repository that was not looked up allows nothing", "gitea", nil, "repository:acme/app:pull", nil},
		{"owner-repo maps deeper names to the first two segments", "gitea", map[string]providers.Permission{"acme/app": providers.PermissionWrite}, "repository:acme/app/a/b:push", []string{"repository:acme/app/a/b:push"}},
		{"a one-segment name names no forge repository", "gitea", map[string]providers.Permission{"acme": providers.PermissionAdmin}, "repository:acme:pull", nil},
		{"same-path asks about the whole path", "gitlab", map[string]providers.Permission{"grp/sub/proj": providers.PermissionWrite}, "repository:grp/sub/proj:pull,push", []string{"repository:grp/sub/proj:pull,push"}},
		{"same-path gives nothing to a deeper name", "gitlab", map[string]providers.Permission{"grp/sub/proj": providers.PermissionWrite}, "repository:grp/sub/proj/img:pull", nil},
		{"the item's actions still cap the forge", "gitlab", map[string]providers.Permission{"grp/proj": providers.PermissionAdmin}, "repository:grp/proj:delete,pull", []string{"repository:grp/proj:pull"}},
		{"another provider's rule never reads the answers", "gitlab", map[string]providers.Permission{"acme/app": providers.PermissionAdmin}, "repository:acme/app/x:pull", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := p.Decide(forgeIdentity(tt.provider, tt.repos), "r", mustScopes(t, tt.req))
			var got []string
			for _, g := range d.Granted {
				got = append(got, g.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("granted %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLookalikeRepositoryNamesNeverMatchAnothersForgePermission(t *testing.T) {
	p := mustParse(t, forgePolicy)
	id := forgeIdentity("gitea", map[string]providers.Permission{"acme/app": providers.PermissionAdmin})
	for _, name := range []string{"acme/app2", "acme/ap", "acme-app/app", "acmeapp/x", "acme/apps/x"} {
		d := p.Decide(id, "r", mustScopes(t, "repository:"+name+":pull"))
		if len(d.Granted) != 0 {
			t.Errorf("%s: granted %v on the strength of acme/app", name, d.Granted)
		}
	}
	// Case, Unicode, trailing dots and ".." are refused by the scope
	// grammar or match no pattern; either way they get nothing.
	for _, name := range []string{"ACME/app", "acme/App", "acme/app.", "acme/../app", "acme/./app", "acme/\u0430pp", "acme/app\u200b"} {
		req, err := ParseScopes([]string{"repository:" + name + ":pull"})
		if err != nil {
			continue
		}
		if d := p.Decide(id, "r", req); len(d.Granted) != 0 {
			t.Errorf("%q: granted %v on the strength of acme/app", name, d.Granted)
		}
		if got := p.ForgeRepositories(id, "r", req); len(got) != 0 {
			t.Errorf("%q: the forge would be asked about %v", name, got)
		}
	}
}

func TestForgeRepositoriesNamesOnlyWhatTheDecisionNeeds(t *testing.T) {
	p := mustParse(t, forgePolicy)
	tests := []struct {
		name     string
		provider string
		req      []string
		want     []string
	}{
		{"one push asks about one repository", "gitea", []string{"repository:acme/app:pull,push"}, []string{"acme/app"}},
		{"images of one repository share one question", "gitea", []string{"repository:acme/app:pull", "repository:acme/app/worker:pull", "repository:acme/lib:pull"}, []string{"acme/app", "acme/lib"}},
		{"the catalog asks nothing", "gitea", []string{"registry:catalog:*"}, nil},
		{"a provider without mirroring rules asks nothing", "users", []string{"repository:acme/app:pull"}, nil},
		{"same-path asks about the full path", "gitlab", []string{"repository:grp/sub/proj:push"}, []string{"grp/sub/proj"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := p.ForgeRepositories(forgeIdentity(tt.provider, nil), "r", mustScopes(t, tt.req...))
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
	if got := mustParse(t, quickStartPolicy).ForgeRepositories(forgeIdentity("gitea", nil), "r", mustScopes(t, "repository:a/b:pull")); got != nil {
		t.Fatalf("a policy without forge items asked about %v", got)
	}
}

func TestForgeItemsAreRefusedWhereTheyMeanNothing(t *testing.T) {
	facts := map[string]providers.PolicyFacts{"gitea": {Type: "gitea", Forge: true}, "users": {Type: "static"}}
	tests := []struct {
		name, rule, want string
	}{
		{"an unknown mode", `{id: r, who: [gitea], grant: [{repository: "**", forge: mirror}]}`, "unknown forge mode"},
		{"a deny item", `{id: r, effect: deny, who: [gitea], deny: [{repository: "**", forge: same-path}]}`, "only for grant items"},
		{"the catalog", `{id: r, who: [gitea], grant: [{registry: catalog, actions: ["*"], forge: same-path}]}`, "catalog has no forge repository"},
		{"who: anyone", `{id: r, who: anyone, grant: [{repository: "**", forge: same-path}]}`, "forge-needs-forge-provider"},
		{"a provider that is not a forge", `{id: r, who: [users], grant: [{repository: "**", forge: same-path}]}`, `provider "users" (type static)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte("version: 1\nrules:\n  - "+tt.rule+"\n"), "p.yaml", Options{Providers: facts})
			var le *LoadError
			if !errors.As(err, &le) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want a load error mentioning %q", err, tt.want)
			}
		})
	}
}

func TestInlineTestsStateTheForgesAnswer(t *testing.T) {
	bad := strings.Replace(forgePolicy, "{acme/app: write}", "{acme/app: owner}", 1)
	if _, err := Parse([]byte(bad), "p.yaml", Options{}); err == nil || !strings.Contains(err.Error(), `unknown permission "owner"`) {
		t.Fatalf("err = %v, want the unknown permission named", err)
	}
	wrong := strings.Replace(forgePolicy, `expect: ["repository:acme/app:pull,push"]`, `expect: ["repository:acme/app:pull,push,delete"]`, 1)
	if _, err := Parse([]byte(wrong), "p.yaml", Options{}); err == nil || !strings.Contains(err.Error(), "test-failed") {
		t.Fatalf("err = %v, want the failing inline test", err)
	}
}

func TestExplainSaysWhatTheForgeAnswered(t *testing.T) {
	p := mustParse(t, forgePolicy)
	id := forgeIdentity("gitea", map[string]providers.Permission{"acme/app": providers.PermissionRead})
	out := p.Explain(id, "r", mustScopes(t, "repository:acme/app:pull,push", "repository:acme/lib:pull")).String()
	for _, want := range []string{"forge: read on acme/app allows pull", "forge: acme/lib was not looked up: no access", "=> repository:acme/app:pull"} {
		if !strings.Contains(out, want) {
			t.Errorf("explain output lacks %q:\n%s", want, out)
		}
	}
}
