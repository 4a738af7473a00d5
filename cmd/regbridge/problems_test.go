package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckReportsEveryMistakeOfAConfigurationInOneRun(t *testing.T) {
	dir := t.TempDir()
	if _, err := run(t, "keygen", "--key", filepath.Join(dir, "k.pem"), "--cert", filepath.Join(dir, "k.crt")); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "regbridge.yaml")
	os.WriteFile(cfg, []byte(`services:
  - name: registry.example.com
    issuer: regbridge
    token_ttl: 1 hour
    colour: red
keys:
  - {private_key: k.pem, certificate: k.crt}
  - private_key: missing.pem
    certificate: k.crt
cache: {size: lots}
policy: nopolicy.yaml
`), 0o644)
	_, err := run(t, "check", "--config", cfg)
	if err == nil {
		t.Fatal("check accepted a configuration with five mistakes")
	}
	msg := err.Error()
	for _, want := range []string{
		cfg + ":5: unknown key services.0.colour",
		cfg + `:4: "1 hour" is not a duration: write a number and a unit, such as 90s, 5m, 1h or 1h30m`,
		cfg + `:10: "lots" is not a whole number`,
		cfg + ":8: keys[1].private_key: " + filepath.Join(dir, "missing.pem") + " does not exist; create the key and its certificate with `regbridge keygen --key " + filepath.Join(dir, "missing.pem") + " --cert " + filepath.Join(dir, "missing.crt") + "`",
		cfg + ":11: policy: " + filepath.Join(dir, "nopolicy.yaml") + " does not exist",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "!!str") || strings.Contains(msg, "time.Duration") {
		t.Errorf("check shows yaml.v3's Go type names:\n%s", msg)
	}
	if n := strings.Count(msg, "\n") + 1; n != 5 {
		t.Errorf("%d problems reported, want 5 (no repeats):\n%s", n, msg)
	}
}

func TestReadableTypeErrorsNameWhatWasExpected(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"cannot unmarshal !!str `1 hour` into time.Duration", `"1 hour" is not a duration`},
		{"cannot unmarshal !!str `yes-ish` into bool", `"yes-ish" is not true or false`},
		{"cannot unmarshal !!str `lots` into int", `"lots" is not a whole number`},
		{"cannot unmarshal !!seq into string", "a list is given where a single value is expected"},
		{"cannot unmarshal !!map into []bridge.Service", "a mapping is given where a list is expected"},
		{"cannot unmarshal !!str `x` into []main.KeyConfig", `"x" is a single value where a list is expected`},
		{"did not find expected key", "did not find expected key"},
	} {
		if got := readableTypeError(tc.in); !strings.HasPrefix(got, tc.want) {
			t.Errorf("readableTypeError(%q) = %q, want %q…", tc.in, got, tc.want)
		}
	}
}
