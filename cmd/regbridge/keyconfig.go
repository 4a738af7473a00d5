package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/go-jose/go-jose/v4"

	"github.com/regbridge/regbridge/bridge/signing"
	"github.com/regbridge/regbridge/providers"
)

// keyProblems checks what the keys' entries say about passwords and takes
// each password_env from env: a password is for a PKCS#12 key only, from a
// file or a variable, and a named variable must be set.
func (c *Config) keyProblems(env map[string]string) error {
	var p []string
	for i := range c.Keys {
		k := &c.Keys[i]
		at := func(key, format string, args ...any) {
			p = append(p, c.atPath(fmt.Sprintf("keys.%d.%s", i, key), "keys[%d].%s: "+format, append([]any{i, key}, args...)...))
		}
		hasPassword := k.PasswordFile != "" || k.PasswordEnv != ""
		switch {
		case k.PasswordFile != "" && k.PasswordEnv != "":
			at("password_env", "give the password in password_file or in password_env, not both")
		case hasPassword && !signing.IsPKCS12(k.PrivateKey):
			at("private_key", "%s is not a PKCS#12 file (.p12, .pfx); only those take a password", k.PrivateKey)
		case k.Certificate != "" && signing.IsPKCS12(k.PrivateKey):
			at("certificate", "the PKCS#12 file %s carries its own certificate chain; leave certificate out", k.PrivateKey)
		}
		if k.PasswordEnv != "" {
			v, ok := env[k.PasswordEnv]
			if !ok {
				at("password_env", "the environment variable %s is not set", k.PasswordEnv)
			}
			k.envPassword = providers.Secret(v)
		}
	}
	if len(p) > 0 {
		return &configError{problems: p}
	}
	return nil
}

// load reads the key of k, with its PKCS#12 password from password_file
// (read now, so that a rotated file is read on reload) or password_env.
func (k KeyConfig) load() (*signing.Key, error) {
	f := signing.KeyFile{PrivateKey: k.PrivateKey, Certificate: k.Certificate,
		Password: k.envPassword, Algorithm: jose.SignatureAlgorithm(k.Algorithm)}
	if k.PasswordFile != "" {
		raw, err := os.ReadFile(k.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("password_file: %w", err)
		}
		f.Password = providers.Secret(strings.TrimRight(string(raw), "\r\n"))
	}
	return f.Load()
}
