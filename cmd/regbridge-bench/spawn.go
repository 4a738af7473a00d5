package main

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/crypto/bcrypt"

	"github.com/regbridge/regbridge/bridge/signing"
)

// Fixed names of the generated setup.
const (
	benchService = "registry.bench"
	benchIssuer  = "regbridge-bench"
	benchUser    = "bench"
	benchPass    = "bench-password"
)

// serverSpec is what a spawned regbridge is configured with.
type serverSpec struct {
	Rules      int           // policy rules (at least 2)
	Users      int           // htpasswd users besides benchUser
	BcryptCost int           // cost of the shared password hash
	CacheTTL   time.Duration // credential cache ttl (0: default)
	Reuse      bool          // token_reuse enabled
	Alg        jose.SignatureAlgorithm
	Header     string   // the service's header form: x5c (default) or kid
	Env        []string // extra environment of the server (GOGC=…, GODEBUG=…)
	Admin      bool     // an admin listener with pprof (AdminAddr)
	// OIDCIssuer, when set, makes a soak setup: an oidc provider "ci" for
	// this issuer besides the static users, info-level logs, and only
	// settings every regbridge release reads, so that older binaries can
	// be compared.
	OIDCIssuer string
}

// server is a regbridge process started on loopback.
type server struct {
	cmd     *exec.Cmd
	URL     string // token endpoint
	Base    string
	Signer  crypto.Signer
	Alg     jose.SignatureAlgorithm
	Startup time.Duration // exec to the first 200 from /healthz
	// AdminAddr serves /debug/pprof when the spec asked for it.
	AdminAddr string
	dir       string
	log       *os.File
}

// spawn writes a key, an htpasswd file, a policy and a config into a fresh
// directory under tmp and starts binary on a free loopback port.
func spawn(ctx context.Context, binary, tmp string, spec serverSpec) (*server, error) {
	dir, err := os.MkdirTemp(tmp, "regbridge-bench-")
	if err != nil {
		return nil, err
	}
	if spec.Alg == "" {
		spec.Alg = jose.ES256
	}
	signer, cert, err := benchKey(spec.Alg)
	if err != nil {
		return nil, err
	}
	if err := signing.WriteKeyFiles(filepath.Join(dir, "key.pem"), filepath.Join(dir, "cert.pem"), signer, cert); err != nil {
		return nil, err
	}
	if err := writeHtpasswd(filepath.Join(dir, "htpasswd"), spec.Users, spec.BcryptCost); err != nil {
		return nil, err
	}
	policy := benchPolicy(spec.Rules)
	if spec.OIDCIssuer != "" {
		policy += soakRule
	}
	if err := os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte(policy), 0o644); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	admin := ""
	if spec.Admin {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		admin = fmt.Sprintf("127.0.0.1:%d", p)
	}
	config := benchConfig(addr, admin, spec)
	if spec.OIDCIssuer != "" {
		config = soakConfig(addr, spec)
	}
	if err := os.WriteFile(filepath.Join(dir, "regbridge.yaml"), []byte(config), 0o644); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, err
	}
	s := &server{URL: "http://" + addr + "/token", Base: "http://" + addr, Signer: signer, Alg: spec.Alg, AdminAddr: admin, dir: dir, log: logf}
	s.cmd = exec.CommandContext(ctx, binary, "serve", "--config", filepath.Join(dir, "regbridge.yaml"))
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	s.cmd.Env = append(os.Environ(), spec.Env...)
	s.cmd.Cancel = func() error { return s.cmd.Process.Signal(syscall.SIGTERM) }
	s.cmd.WaitDelay = 10 * time.Second
	start := time.Now()
	if err := s.cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", binary, err)
	}
	if err := s.waitReady(ctx, 20*time.Second); err != nil {
		s.stop()
		out, _ := os.ReadFile(logf.Name())
		return nil, fmt.Errorf("%w\n%s", err, tail(string(out), 2000))
	}
	s.Startup = time.Since(start)
	return s, nil
}

// LogBytes is the size of the server's log so far.
func (s *server) LogBytes() int64 {
	fi, err := s.log.Stat()
	if err != nil {
		return 0
	}
	return fi.Size()
}

// PID of the server process.
func (s *server) PID() int { return s.cmd.Process.Pid }

func (s *server) waitReady(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	c := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		if s.cmd.ProcessState != nil {
			return errors.New("regbridge exited during start-up")
		}
		resp, err := c.Get(s.Base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
	return fmt.Errorf("regbridge did not answer /healthz within %s", limit)
}

// stop ends the server and removes its directory.
func (s *server) stop() {
	if s.cmd.Process != nil && s.cmd.ProcessState == nil {
		s.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			s.cmd.Process.Kill()
			<-done
		}
	}
	s.log.Close()
	os.RemoveAll(s.dir)
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// writeHtpasswd writes benchUser and users "user0".."userN-1", all with
// benchPass under one bcrypt hash (the salt is shared, the cache keys are
// not: they include the username).
func writeHtpasswd(path string, users, cost int) error {
	hash, err := bcrypt.GenerateFromPassword([]byte(benchPass), cost)
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%s\n", benchUser, hash)
	for i := range users {
		fmt.Fprintf(&b, "user%d:%s\n", i, hash)
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

// benchPolicy has n rules: anonymous pull and user push on bench/**, and
// n-2 rules for other teams' namespaces, the shape of a large site policy.
func benchPolicy(n int) string {
	var b strings.Builder
	b.WriteString(`version: 1
rules:
  - id: bench-public
    who: anyone
    grant:
      - {repository: "bench/**", actions: [pull]}
  - id: bench-users
    who: [users]
    grant:
      - {repository: "bench/**", actions: [pull, push]}
`)
	for i := 0; i < n-2; i++ {
		fmt.Fprintf(&b, "  - id: team-%d\n    who: [users]\n    when: {username: user%d}\n    grant:\n      - {repository: \"team%d/**\", actions: [pull, push]}\n", i, i, i)
	}
	return b.String()
}

func benchConfig(addr, admin string, spec serverSpec) string {
	var b strings.Builder
	svc := ""
	if spec.Header != "" {
		svc += ", header: " + spec.Header
	}
	if spec.Alg == jose.EdDSA {
		svc += ", registry: v3"
	}
	fmt.Fprintf(&b, `listen: %q
public_url: "http://%s"
services:
  - {name: %s, issuer: %s`+svc+`}
keys:
  - {private_key: key.pem, certificate: cert.pem}
providers:
  - {id: users, type: static, htpasswd: htpasswd}
policy: policy.yaml
log: {level: error}
observability: {metrics_on_token_listener: true%s}
reload: {watch: false}
shutdown: {drain: 0s}
`, addr, addr, benchService, benchIssuer, adminConfig(admin))
	b.WriteString("cache: {size: 200000")
	if spec.CacheTTL > 0 {
		fmt.Fprintf(&b, ", ttl: %s", spec.CacheTTL)
	}
	b.WriteString("}\n")
	if spec.Reuse {
		b.WriteString("token_reuse: {enabled: true}\n")
	}
	return b.String()
}

func adminConfig(admin string) string {
	if admin == "" {
		return ""
	}
	return fmt.Sprintf(", metrics_listen: %q, pprof: true", admin)
}

// benchKey returns a fresh key of alg and a self-signed certificate for it.
func benchKey(alg jose.SignatureAlgorithm) (crypto.Signer, *x509.Certificate, error) {
	if alg != jose.EdDSA {
		return signing.GenerateKey(alg, benchIssuer, 24*time.Hour, time.Now(), nil)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: benchIssuer},
		NotBefore: time.Now().Add(-5 * time.Minute), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, priv.Public(), priv)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return priv, cert, err
}

// soakRule lets the soak run's CI tokens pull and push bench/**.
const soakRule = `  - id: bench-ci
    who: [ci]
    grant:
      - {repository: "bench/**", actions: [pull, push]}
`

// soakConfig is the soak setup's configuration: static users and an oidc
// provider, logs at the default level, no settings newer than the oldest
// release compared.
func soakConfig(addr string, spec serverSpec) string {
	return fmt.Sprintf(`listen: %q
public_url: "http://%s"
services:
  - {name: %s, issuer: %s}
keys:
  - {private_key: key.pem, certificate: cert.pem}
providers:
  - {id: users, type: static, htpasswd: htpasswd}
  - {id: ci, type: oidc, issuer: %q, audiences: [%s]}
policy: policy.yaml
reload: {watch: false}
cache: {size: 200000}
`, addr, addr, benchService, benchIssuer, spec.OIDCIssuer, soakAudience)
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
