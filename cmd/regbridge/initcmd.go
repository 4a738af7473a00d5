package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/urfave/cli/v2"
	"golang.org/x/crypto/bcrypt"

	"github.com/regbridge/regbridge/bridge/signing"
)

// The files `regbridge init` writes, relative to --dir.
const (
	initConfigFile = "regbridge.yaml"
	initPolicyFile = "policy.yaml"
	initKeyFile    = "keys/signing-key.pem"
	initCertFile   = "keys/signing-cert.pem"
	initHtpasswd   = "htpasswd"
	initRobots     = "robots"
	initGroups     = "groups"
)

func initCommand() *cli.Command {
	return &cli.Command{
		Name:  "init",
		Usage: "write a starting regbridge.yaml, policy, signing key and certificate, and one user, all passing check",
		Description: "--provider choices (local users are always written):\n" + initProviderList() +
			"\nThe user's password is printed once. Existing files are left alone unless --force is given.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "dir", Value: ".", Usage: "directory to write the files in (created if missing)"},
			&cli.StringFlag{Name: "provider", Value: "static", Usage: "who logs in besides the local users: " + strings.Join(initProviderNames(), ", ")},
			&cli.StringFlag{Name: "service", Value: "registry.example.com", Usage: "the registry's name (its auth.token.service)"},
			&cli.StringFlag{Name: "public-url", Value: "https://auth.example.com", Usage: "how clients reach regbridge (the realm's base)"},
			&cli.StringFlag{Name: "listen", Value: quickStartListen, Usage: "listener address"},
			&cli.StringFlag{Name: "user", Value: "admin", Usage: "the local account to create (in the admins group)"},
			&cli.StringFlag{Name: "base-url", Usage: "the forge's web URL (gitea: required), the GitLab issuer (oidc-gitlab-ci) or meta.sr.ht (sourcehut)"},
			&cli.StringFlag{Name: "owner-id", Usage: "oidc-github-actions: the GitHub owner's numeric id; oidc-gitlab-ci: the GitLab group's numeric id"},
			&cli.BoolFlag{Name: "force", Usage: "overwrite existing files"},
		},
		Action: runInit,
	}
}

func initProviderList() string {
	var parts []string
	for _, n := range initProviderNames() {
		parts = append(parts, fmt.Sprintf("  %-20s %s\n", n, initProviders[n].about))
	}
	return strings.Join(parts, "")
}

// initSettingsOf reads and checks the flags.
func initSettingsOf(c *cli.Context) (initSettings, initProvider, error) {
	s := initSettings{
		Provider:  c.String("provider"),
		Service:   c.String("service"),
		PublicURL: c.String("public-url"),
		Listen:    c.String("listen"),
		User:      c.String("user"),
		BaseURL:   c.String("base-url"),
		OwnerID:   c.String("owner-id"),
	}
	p, ok := initProviders[s.Provider]
	if !ok {
		return s, p, fmt.Errorf("init: --provider %q: choose one of %s", s.Provider, strings.Join(initProviderNames(), ", "))
	}
	var errs []error
	if s.BaseURL == "" {
		s.BaseURL = p.baseURL
	}
	if p.needsBase && s.BaseURL == "" {
		errs = append(errs, fmt.Errorf("init: --base-url: required with --provider %s (the forge's web URL, e.g. https://git.example.com)", s.Provider))
	}
	if !p.needsBase && p.baseURL == "" && c.IsSet("base-url") {
		errs = append(errs, fmt.Errorf("init: --base-url: not used by --provider %s", s.Provider))
	}
	if p.needsOwner != "" && !isDigits(s.OwnerID) {
		errs = append(errs, fmt.Errorf("init: --owner-id: required with --provider %s: %s", s.Provider, p.needsOwner))
	}
	if p.needsOwner == "" && s.OwnerID != "" {
		errs = append(errs, fmt.Errorf("init: --owner-id: not used by --provider %s", s.Provider))
	}
	if !userName(s.User) {
		errs = append(errs, fmt.Errorf("init: --user %q: letters, digits, '.', '_' and '-', starting with a letter or digit", s.User))
	}
	if s.Service == "" || strings.ContainsAny(s.Service, " \t\n\"'{}[],#") {
		errs = append(errs, fmt.Errorf("init: --service %q: give the registry's host name, e.g. registry.example.com", s.Service))
	}
	return s, p, errors.Join(errs...)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func userName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i, r := range s {
		alnum := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		if !alnum && (i == 0 || !strings.ContainsRune("._-", r)) {
			return false
		}
	}
	return true
}

func runInit(c *cli.Context) error {
	s, p, err := initSettingsOf(c)
	if err != nil {
		return err
	}
	dir := c.String("dir")
	targets := []string{initConfigFile, initPolicyFile, initKeyFile, initCertFile, initHtpasswd, initRobots, initGroups}
	if !c.Bool("force") {
		var existing []string
		for _, t := range targets {
			if _, err := os.Lstat(filepath.Join(dir, t)); err == nil {
				existing = append(existing, filepath.Join(dir, t))
			} else if !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("init: %w", err)
			}
		}
		if len(existing) > 0 {
			return fmt.Errorf("init: %s already exist; nothing was written (--force overwrites them, and a new key means a new registry certificate)", strings.Join(existing, ", "))
		}
	}
	password, err := newPassword()
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "keys"), 0o700); err != nil {
		return fmt.Errorf("init: %w", err)
	}
	for _, t := range []string{initKeyFile, initCertFile} {
		if err := os.Remove(filepath.Join(dir, t)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("init: %w", err)
		}
	}
	signer, cert, err := signing.GenerateKey(jose.ES256, "regbridge", 5*365*24*time.Hour, time.Now(), nil)
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	keyPath, certPath := filepath.Join(dir, initKeyFile), filepath.Join(dir, initCertFile)
	if err := signing.WriteKeyFiles(keyPath, certPath, signer, cert); err != nil {
		return fmt.Errorf("init: %w", err)
	}
	if err := os.Chmod(certPath, 0o600); err != nil {
		return fmt.Errorf("init: %w", err)
	}
	files := []struct{ name, body string }{
		{initConfigFile, initConfigYAML(s, p)},
		{initPolicyFile, initPolicyYAML(s, p)},
		{initHtpasswd, "# People: NAME:BCRYPT-HASH (htpasswd -B htpasswd NAME). docs/static.md\n" + s.User + ":" + string(hash) + "\n"},
		{initRobots, "# Robot accounts, same format; subject robot:NAME, claim robot: true.\n# htpasswd -B robots NAME\n"},
		{initGroups, "# GROUP: MEMBER MEMBER ...\nadmins: " + s.User + "\n"},
	}
	for _, f := range files {
		if err := writePrivate(filepath.Join(dir, f.name), f.body); err != nil {
			return fmt.Errorf("init: %w", err)
		}
	}
	w := c.App.Writer
	fmt.Fprintf(w, "wrote %s: %s\n", dir, strings.Join(targets, ", "))
	fmt.Fprintf(w, "user %s, password: %s\n(shown once; only its bcrypt hash is stored, in %s)\n", s.User, password, filepath.Join(dir, initHtpasswd))
	cfg := filepath.Join(dir, initConfigFile)
	fmt.Fprintf(w, "\nnext:\n  regbridge check --config %[1]s\n  regbridge registry-config --config %[1]s   # the registry's auth: stanza\n  regbridge serve --config %[1]s\n", cfg)
	fmt.Fprintf(w, "edit public_url (now %s) to where clients reach this server; %s has the %s provider's details\n", s.PublicURL, p.docsPointer, s.Provider)
	return nil
}

// writePrivate writes body to path with mode 0600, replacing a file there.
func writePrivate(path, body string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.WriteString(body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// newPassword is 144 random bits, base64url: no characters a shell or
// htpasswd treats specially.
func newPassword() (string, error) {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
