package acl

import (
	"slices"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
)

const decidePolicy = `version: 1
rules:
  - id: public
    who: anyone
    grant: [{repository: "public/**"}]
  - id: users-own
    who: [users]
    grant: [{repository: "${username}/**", actions: [pull, push]}]
    token_ttl: 10m
  - id: admins
    who: [users]
    when: {groups: [admins]}
    grant:
      - {repository: "**", actions: ["*"]}
      - {registry: catalog, actions: ["*"]}
    token_ttl: 2m
  - id: auditors
    who: [users]
    when: {groups: [auditors]}
    grant: [{registry: catalog}]
  - id: freeze
    effect: deny
    who: anyone
    deny: [{repository: "public/frozen/**", actions: [push, delete]}]
  - id: prod-only
    who: [users]
    services: [prod.example.com]
    grant: [{repository: "prod/**", actions: [pull]}]
  - id: banned
    effect: deny
    who: [users]
    when: {groups: [banned]}
    deny: [{repository: "**", actions: ["*"]}, {registry: catalog}]
    respond: forbidden
    reason: account suspended
`

func TestDecide(t *testing.T) {
	p := mustParse(t, decidePolicy)
	alice := providers.Identity{Provider: "users", Username: "alice"}
	admin := providers.Identity{Provider: "users", Username: "root", Groups: []string{"admins"}}
	tests := []struct {
		name    string
		id      providers.Identity
		service string
		req     []string
		want    string
		rules   []string
		ttl     time.Duration
		forbid  string
	}{
		{"anonymous pulls public images", providers.Identity{Anonymous: true}, "r", []string{"repository:public/a:pull,push"}, "repository:public/a:pull", []string{"public"}, 0, ""},
		{"anonymous grants add to an authenticated user's grants", alice, "r", []string{"repository:public/a:pull", "repository:alice/x:pull,push"}, "repository:public/a:pull repository:alice/x:pull,push", []string{"public", "users-own"}, 10 * time.Minute, ""},
		{"granted keeps the request order", alice, "r", []string{"repository:alice/x:pull", "repository:public/a:pull"}, "repository:alice/x:pull repository:public/a:pull", []string{"public", "users-own"}, 10 * time.Minute, ""},
		{"a scope nothing grants is dropped, not an error", alice, "r", []string{"repository:bob/x:pull", "repository:alice/x:pull"}, "repository:alice/x:pull", []string{"users-own"}, 10 * time.Minute, ""},
		{"a star grant is emitted as explicit actions", admin, "r", []string{"repository:x/y:*"}, "repository:x/y:delete,pull,push", []string{"admins"}, 2 * time.Minute, ""},
		{"a star request gets only what is granted (skopeo delete)", alice, "r", []string{"repository:alice/x:*"}, "repository:alice/x:pull,push", []string{"users-own"}, 10 * time.Minute, ""},
		{"a star grant answers a narrower request narrowly", admin, "r", []string{"repository:x/y:pull"}, "repository:x/y:pull", []string{"admins"}, 2 * time.Minute, ""},
		{"the catalog gets the literal star", admin, "r", []string{"registry:catalog:*"}, "registry:catalog:*", []string{"admins"}, 2 * time.Minute, ""},
		{"a catalog grant without actions is the literal star", providers.Identity{Provider: "users", Groups: []string{"auditors"}}, "r", []string{"registry:catalog:*"}, "registry:catalog:*", []string{"auditors"}, 0, ""},
		{"the catalog is not granted without a rule", alice, "r", []string{"registry:catalog:*"}, "no access", nil, 0, ""},
		{"deny wins over allow", admin, "r", []string{"repository:public/frozen/x:pull,push,delete"}, "repository:public/frozen/x:pull", []string{"admins", "freeze", "public"}, 2 * time.Minute, ""},
		{"deny of push also removes star", admin, "r", []string{"repository:public/frozen/x:*"}, "repository:public/frozen/x:pull", []string{"admins", "freeze", "public"}, 2 * time.Minute, ""},
		{"the shortest ttl of contributing rules wins", admin, "r", []string{"repository:root/x:push"}, "repository:root/x:push", []string{"admins", "users-own"}, 2 * time.Minute, ""},
		{"services limit a rule", alice, "r", []string{"repository:prod/x:pull"}, "no access", nil, 0, ""},
		{"services allow a rule", alice, "prod.example.com", []string{"repository:prod/x:pull"}, "repository:prod/x:pull", []string{"prod-only"}, 0, ""},
		{"max actions cap the grant", providers.Identity{Provider: "users", Username: "alice", MaxActions: []string{"pull"}}, "r", []string{"repository:alice/x:pull,push"}, "repository:alice/x:pull", []string{"users-own"}, 10 * time.Minute, ""},
		{"max actions without star cap the catalog", providers.Identity{Provider: "users", Groups: []string{"admins"}, MaxActions: []string{"pull", "push", "delete"}}, "r", []string{"registry:catalog:*"}, "no access", nil, 0, ""},
		{"an empty max actions caps everything", providers.Identity{Provider: "users", Username: "alice", MaxActions: []string{}}, "r", []string{"repository:alice/x:pull"}, "no access", nil, 0, ""},
		{"a forbidden deny that empties the request is a 403", providers.Identity{Provider: "users", Username: "eve", Groups: []string{"banned"}}, "r", []string{"repository:eve/x:pull"}, "no access", []string{"banned"}, 0, "banned"},
		{"a forbidden deny also refuses anonymous grants", providers.Identity{Provider: "users", Username: "eve", Groups: []string{"banned"}}, "r", []string{"repository:public/x:pull"}, "no access", []string{"banned"}, 0, "banned"},
		{"no scopes is never a 403", providers.Identity{Provider: "users", Username: "eve", Groups: []string{"banned"}}, "r", nil, "no access", nil, 0, ""},
		{"a host-prefixed name is never granted", admin, "r", []string{"repository:localhost:5000/x:pull"}, "no access", nil, 0, ""},
		{"another provider does not get provider rules", providers.Identity{Provider: "github", Username: "alice"}, "r", []string{"repository:alice/x:pull"}, "no access", nil, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var req []Scope
			if tt.req != nil {
				req = mustScopes(t, tt.req...)
			}
			d := p.Decide(tt.id, tt.service, req)
			if got := scopesString(d.Granted); got != tt.want {
				t.Errorf("granted %s, want %s", got, tt.want)
			}
			if !slices.Equal(d.Rules, tt.rules) {
				t.Errorf("rules %v, want %v", d.Rules, tt.rules)
			}
			if d.TTL != tt.ttl {
				t.Errorf("ttl %v, want %v", d.TTL, tt.ttl)
			}
			switch {
			case tt.forbid == "" && d.Forbidden != nil:
				t.Errorf("forbidden %+v, want none", d.Forbidden)
			case tt.forbid != "" && (d.Forbidden == nil || d.Forbidden.Rule != tt.forbid || d.Forbidden.Reason != "account suspended"):
				t.Errorf("forbidden %+v, want rule %s", d.Forbidden, tt.forbid)
			}
		})
	}
}

func TestDecideDoesNotChangeTheRequest(t *testing.T) {
	p := mustParse(t, decidePolicy)
	req := mustScopes(t, "repository:alice/x:*")
	p.Decide(providers.Identity{Provider: "users", Username: "alice"}, "r", req)
	if req[0].String() != "repository:alice/x:*" {
		t.Fatalf("request changed to %v", req[0])
	}
}
