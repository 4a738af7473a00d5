package main

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/regbridge/regbridge/bridge/signing"
)

// pkcs12Config writes a PKCS#12 key with password pw, a policy and a
// configuration whose keys entry is keysYAML, and loads it with env.
func pkcs12Config(t *testing.T, pw, keysYAML string, env map[string]string) (*Config, string, error) {
	t.Helper()
	dir := t.TempDir()
	signer, cert, err := signing.GenerateKey(jose.EdDSA, "t", time.Hour, time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := pkcs12.Modern.Encode(signer, cert, []*x509.Certificate{}, pw)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "k.p12"), raw, 0o600)
	os.WriteFile(filepath.Join(dir, "k.pem"), []byte("unused"), 0o600)
	os.WriteFile(filepath.Join(dir, "pw"), []byte(pw+"\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte("version: 1\nrules:\n  - {id: p, who: anyone, grant: [{repository: \"public/**\", actions: [pull]}]}\n"), 0o600)
	src := "services: [{name: registry.test, issuer: i, registry: v3}]\nkeys: [" + keysYAML + "]\npolicy: policy.yaml\nproviders: []\n"
	path := filepath.Join(dir, "regbridge.yaml")
	os.WriteFile(path, []byte(src), 0o600)
	cfg, err := loadConfig(path, env)
	return cfg, dir, err
}

func TestAPKCS12KeyLoadsWithItsPasswordFromAFileOrTheEnvironment(t *testing.T) {
	cases := []struct {
		name string
		keys string
		env  map[string]string
	}{
		{"password_file", "{private_key: k.p12, password_file: pw}", nil},
		{"password_env", "{private_key: k.p12, password_env: KEY_PASSWORD}", map[string]string{"KEY_PASSWORD": "s3cret"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _, err := pkcs12Config(t, "s3cret", tc.keys, tc.env)
			if err != nil {
				t.Fatal(err)
			}
			keys, err := loadKeys(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != 1 || keys[0].Algorithm != jose.EdDSA || keys[0].Certificate == nil {
				t.Fatalf("keys %+v", keys)
			}
		})
	}
}

func TestAWrongPKCS12PasswordInTheConfigurationNamesTheKeyFile(t *testing.T) {
	cfg, dir, err := pkcs12Config(t, "s3cret", "{private_key: k.p12, password_env: KEY_PASSWORD}", map[string]string{"KEY_PASSWORD": "nope"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = loadKeys(cfg)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "k.p12")) || !strings.Contains(err.Error(), "password is wrong") {
		t.Fatalf("got %v", err)
	}
	if strings.Contains(err.Error(), "nope") || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("the error shows a password: %v", err)
	}
}

func TestKeyPasswordMistakesAreConfigurationProblems(t *testing.T) {
	cases := []struct {
		name, keys, want string
	}{
		{"both sources", "{private_key: k.p12, password_file: pw, password_env: KEY_PASSWORD}", "not both"},
		{"a password for a PEM key", "{private_key: k.pem, password_file: pw}", "is not a PKCS#12 file"},
		{"a certificate beside PKCS#12", "{private_key: k.p12, certificate: k.pem}", "carries its own certificate"},
		{"an unset variable", "{private_key: k.p12, password_env: UNSET_PASSWORD}", "UNSET_PASSWORD is not set"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := pkcs12Config(t, "s3cret", tc.keys, map[string]string{"KEY_PASSWORD": "s3cret"})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "keys[0]") {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}
