package acl

import (
	"testing"

	"github.com/regbridge/regbridge/providers"
)

func TestQuickStartLetsAnyonePullAndNobodyPush(t *testing.T) {
	p := QuickStart()
	req, _ := ParseScopes([]string{"repository:library/alpine:pull,push registry:catalog:*"})
	for _, id := range []providers.Identity{{Anonymous: true}, {Provider: "users", Username: "alice"}} {
		d := p.Decide(id, "registry.example.com", req)
		if got, want := scopesString(d.Granted), "repository:library/alpine:pull"; got != want {
			t.Errorf("%+v: got %s, want %s", id, got, want)
		}
	}
	if p.Source() != "" {
		t.Errorf("Source() = %q, want empty", p.Source())
	}
}
