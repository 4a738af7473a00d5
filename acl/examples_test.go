package acl

import (
	"path/filepath"
	"testing"

	"github.com/regbridge/regbridge/providers"
)

// exampleOptions describes the deployment the example policies are written
// for, so that every provider lint runs against them.
func exampleOptions() Options {
	return Options{
		Providers: map[string]providers.PolicyFacts{
			"users":     {Type: "static", Claims: []string{}},
			"robots":    {Type: "static", Claims: []string{}},
			"sourcehut": {Type: "sourcehut", Claims: []string{}},
			"authority": {Type: "authority", Claims: []string{"stellaops:plan", "stellaops:license", "scope", "client_id"}},
			"github": {Type: "oidc", Preset: "github-actions", SharedIssuer: true, CI: true,
				ImmutableClaims: []string{"repository_owner_id", "repository_id"},
				TriggerClaims:   []string{"event_name", "ref_protected"}},
			"forgejo": {Type: "forgejo", Forge: true, Claims: []string{"login", "id", "email_verified", "is_admin"}},
		},
		Services: []string{"registry.example.com"},
	}
}

func TestEveryExamplePolicyLoadsAndPassesItsTests(t *testing.T) {
	files, err := filepath.Glob("../testdata/policies/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no example policies found: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			for _, opts := range []Options{exampleOptions(), {}} {
				p, err := Load(f, opts)
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if p.TestCount() == 0 {
					t.Errorf("%s has no inline tests", f)
				}
				if fails := p.RunTests(); len(fails) != 0 {
					t.Errorf("RunTests: %+v", fails)
				}
			}
		})
	}
}
