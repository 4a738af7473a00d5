package acl

import (
	"errors"
	"strings"
	"testing"
)

func TestParseScope(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // "" = malformed
	}{
		{"a plain pull", "repository:library/alpine:pull", "repository:library/alpine:pull"},
		{"actions are sorted and merged", "repository:a/b:push,pull,pull", "repository:a/b:pull,push"},
		{"star is kept", "repository:a:*", "repository:a:*"},
		{"the plugin class is ignored", "repository(plugin):a/b:pull", "repository:a/b:pull"},
		{"a host and port prefix is a name", "repository:localhost:5000/ci/x:pull", "repository:localhost:5000/ci/x:pull"},
		{"the catalog", "registry:catalog:*", "registry:catalog:*"},
		{"uppercase names are malformed", "repository:ci/StellaOps/api:pull", ""},
		{"dot-dot is malformed", "repository:ci/x/../y:push", ""},
		{"an empty name is malformed", "repository::pull", ""},
		{"an unknown action is malformed", "repository:a:admin", ""},
		{"no actions is malformed", "repository:a:", ""},
		{"an unknown type is malformed", "image:a:pull", ""},
		{"a registry scope other than catalog is malformed", "registry:other:*", ""},
		{"a bad class is malformed", "repository(pl ugin):a:pull", ""},
		{"two parts are malformed", "repository:a", ""},
		{"an oversized scope is malformed", "repository:" + strings.Repeat("a", MaxScopeLen) + ":pull", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseScope(tt.in)
			if tt.want == "" {
				if !errors.Is(err, ErrMalformedScope) {
					t.Fatalf("ParseScope(%q) = %v, %v; want ErrMalformedScope", tt.in, got, err)
				}
				return
			}
			if err != nil || got.String() != tt.want {
				t.Fatalf("ParseScope(%q) = %v, %v; want %s", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseScopesMergesEveryShapeClientsSend(t *testing.T) {
	got, err := ParseScopes([]string{
		"repository:mnt/crane:pull,push repository:foo/bar:pull",
		"repository:mnt/crane:push,pull", "", "repository:foo/bar:delete",
	})
	if err != nil {
		t.Fatal(err)
	}
	if s := scopesString(got); s != "repository:mnt/crane:pull,push repository:foo/bar:delete,pull" {
		t.Fatalf("got %s", s)
	}
}

func TestParseScopesCapsTheScopeCount(t *testing.T) {
	many := make([]string, MaxScopes+1)
	for i := range many {
		many[i] = "repository:a:pull"
	}
	if _, err := ParseScopes(many); !errors.Is(err, ErrMalformedScope) {
		t.Fatalf("err = %v, want ErrMalformedScope", err)
	}
}

func FuzzParseScopes(f *testing.F) {
	for _, s := range []string{
		"repository:library/alpine:pull", "repository:a:pull,push repository:b:*", "registry:catalog:*",
		"repository(plugin):x:pull", "repository:localhost:5000/a:pull", "repository:a/../b:pull", "::", "a b  c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		scopes, err := ParseScopes([]string{in})
		if err != nil {
			if !errors.Is(err, ErrMalformedScope) {
				t.Fatalf("error %v does not wrap ErrMalformedScope", err)
			}
			return
		}
		for _, sc := range scopes {
			again, err := ParseScope(sc.String())
			if err != nil || again.String() != sc.String() {
				t.Fatalf("%q does not round-trip: %v %v", sc.String(), again, err)
			}
			if sc.Type == "repository" && nameSegments(sc.Name) != nil {
				for _, seg := range nameSegments(sc.Name) {
					if seg == ".." || seg == "." || seg == "" {
						t.Fatalf("name %q has segment %q", sc.Name, seg)
					}
				}
			}
		}
	})
}
