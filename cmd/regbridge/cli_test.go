package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run runs the CLI with args and returns its output and error.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	app := newApp()
	var out bytes.Buffer
	app.Writer, app.ErrWriter = &out, &out
	err := app.Run(append([]string{"regbridge"}, args...))
	return out.String(), err
}

func TestCheckAcceptsEveryExamplePolicy(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/policies/*.yaml")
	if len(files) == 0 {
		t.Fatal("no example policies")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			out, err := run(t, "check", "--policy", f)
			if err != nil || !strings.HasPrefix(out, "ok: ") {
				t.Fatalf("check %s: %v\n%s", f, err, out)
			}
		})
	}
	if out, err := run(t, "check", "--config", examplePath); err != nil {
		t.Fatalf("check example config: %v\n%s", err, out)
	}
}

func TestCheckReportsEveryProblemWithFileAndLine(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "policy.yaml")
	os.WriteFile(p, []byte(`version: 1
rules:
  - id: a
    who: anyone
    grant: [{repository: "x/**", actions: [fly]}]
  - id: a
    who: anyone
    grnt: []
`), 0o600)
	_, err := run(t, "check", "--policy", p)
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{p + ":5:", p + ":6:", p + ":8:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}

func TestExplainShowsWhyAScopeIsDenied(t *testing.T) {
	out, err := run(t, "explain", "--config", examplePath, "--provider", "users", "--username", "bob",
		"repository:alice/app:push")
	if !errors.Is(err, errNothingGranted) {
		t.Fatalf("explain of a request that gets nothing: err = %v, want a non-zero exit", err)
	}
	for _, want := range []string{"repository:alice/app:push", "own-namespace", "no access"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	out, err = run(t, "explain", "--config", examplePath, "--provider", "users", "--username", "bob", "--json",
		"repository:bob/app:push")
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("--json output does not parse: %v\n%s", err, out)
	}
}

func TestKeygenWritesAPrivateKeyOnlyTheOwnerCanRead(t *testing.T) {
	dir := t.TempDir()
	key, cert := filepath.Join(dir, "k.pem"), filepath.Join(dir, "c.pem")
	for _, alg := range []string{"ES256", "RS256", "PS256", "EdDSA"} {
		os.Remove(key)
		out, err := run(t, "keygen", "--key", key, "--cert", cert, "--alg", alg)
		if err != nil || !strings.Contains(out, alg) {
			t.Fatalf("%s: %v %s", alg, err, out)
		}
		if v3 := alg == "PS256" || alg == "EdDSA"; v3 != strings.Contains(out, "registry: v3") {
			t.Errorf("%s: the note on registries before 3.0 is wrong:\n%s", alg, out)
		}
		if alg == "PS256" && !strings.Contains(out, "algorithm: PS256") {
			t.Errorf("PS256: no hint that the key needs `algorithm: PS256`:\n%s", out)
		}
		st, err := os.Stat(key)
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("key mode %v %v", st.Mode(), err)
		}
	}
	if _, err := run(t, "keygen", "--key", key, "--cert", cert); err == nil {
		t.Error("keygen overwrote an existing key")
	}
}

func TestRegistryConfigPrintsAStanzaToPaste(t *testing.T) {
	out, err := run(t, "registry-config", "--config", examplePath)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"auth:\n  token:\n", "realm: http://localhost:5001/token", "service: registry.example.com", "issuer: regbridge", "rootcertbundle: "} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	out, err = run(t, "jwks", "--config", examplePath)
	if err != nil || !strings.Contains(out, `"kid"`) || strings.Contains(out, `"d"`) {
		t.Errorf("jwks: %v\n%s", err, out)
	}
}

func TestExplainTakesTheForgesAnswerPerRepository(t *testing.T) {
	pol := "../../testdata/policies/forge.yaml"
	out, err := run(t, "explain", "--policy", pol, "--provider", "forgejo", "--username", "alice",
		"--repository", "acme/app=read", "repository:acme/app:pull,push")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"forge: read on acme/app allows pull", "=> repository:acme/app:pull"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	if _, err := run(t, "explain", "--policy", pol, "--provider", "forgejo", "--repository", "acme/app=owner", "repository:acme/app:pull"); err == nil || !strings.Contains(err.Error(), "ORG/REPO=none|read|write|admin") {
		t.Fatalf("err = %v, want the accepted form named", err)
	}
}
