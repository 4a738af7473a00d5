package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Header modes of a service (the token header the registry verifies).
const (
	headerX5C = "x5c" // leaf certificate; registries with rootcertbundle
	headerKid = "kid" // kid listed in the JWKS; v3 registries with jwks only
)

// Service is one `services:` entry of the bridge configuration.
type Service struct {
	Name   string // the registry's auth.token.service; becomes `aud`
	Issuer string // the registry's auth.token.issuer
	Header string // headerX5C (default) or headerKid
	// TokenFields is the service's token_fields: "" (both token and
	// access_token) or "access_token" (that field only).
	TokenFields string
	// RegistryURL, when set, is the service's registry_url (the registry
	// regbridge reads for the filtered catalog).
	RegistryURL string
}

// BridgeOptions describes the regbridge instance a test starts.
type BridgeOptions struct {
	Services []Service
	// Users are static accounts (name -> password), written as bcrypt
	// htpasswd lines for a provider with id "users".
	Users map[string]string
	// Groups maps a group name to its members, for the same provider.
	Groups map[string][]string
	// Policy is the policy file's YAML.
	Policy string
	// ExtraProviders are further `providers:` entries, each a YAML flow
	// mapping such as `{id: sr, type: sourcehut, meta_url: "http://..."}`.
	ExtraProviders []string
	// DiscoveryServices are `discovery.services` entries, each a YAML flow
	// mapping such as `{service: r.test, issuers: [...]}`.
	DiscoveryServices []string
	// Alg is the key algorithm for keygen ("" means regbridge's default).
	Alg string
}

// Bridge is a running regbridge.
type Bridge struct {
	Dir      string // working directory with config, keys and log
	Config   string // path of regbridge.yaml
	Key      string // private key (PEM)
	Cert     string // certificate (PEM): the registries' rootcertbundle
	Port     int
	URL      string // http://localhost:PORT
	Realm    string // URL + "/token"
	Services []Service
	proc     *proc
}

// startBridge writes keys, accounts, policy and configuration into a fresh
// directory, starts `regbridge serve` on a free loopback port and waits for
// /readyz.
func startBridge(t *testing.T, opts BridgeOptions) *Bridge {
	t.Helper()
	needE2E(t)
	dir := t.TempDir()
	b := &Bridge{
		Dir:      dir,
		Config:   filepath.Join(dir, "regbridge.yaml"),
		Key:      filepath.Join(dir, "key.pem"),
		Cert:     filepath.Join(dir, "cert.pem"),
		Services: opts.Services,
	}

	keygen := []string{"keygen", "--key", b.Key, "--cert", b.Cert}
	if opts.Alg != "" {
		keygen = append(keygen, "--alg", opts.Alg)
	}
	b.cli(t, keygen...)
	if fi, err := os.Stat(b.Key); err != nil {
		t.Fatalf("keygen wrote no key: %v", err)
	} else if fi.Mode().Perm() != 0o600 {
		t.Errorf("keygen: key file mode %v, want 0600", fi.Mode().Perm())
	}

	htpasswd := filepath.Join(dir, "htpasswd")
	groups := filepath.Join(dir, "groups")
	writeFile(t, htpasswd, htpasswdLines(t, opts.Users))
	writeFile(t, groups, groupLines(opts.Groups))
	policy := filepath.Join(dir, "policy.yaml")
	writeFile(t, policy, opts.Policy)

	// The port is part of the configuration (listen, public_url): it is
	// written again if startServer has to try another port.
	var cfg strings.Builder
	writeConfig := func(port int) {
		cfg.Reset()
		fmt.Fprintf(&cfg, "listen: %q\n", "127.0.0.1:"+itoa(port))
		fmt.Fprintf(&cfg, "public_url: %q\n", "http://localhost:"+itoa(port))
		// No load balancer drains a test bridge: stop at once.
		cfg.WriteString("shutdown: {drain: 0s}\n")
		cfg.WriteString("services:\n")
		for _, s := range opts.Services {
			h := s.Header
			if h == "" {
				h = headerX5C
			}
			extra := ""
			if s.TokenFields != "" {
				extra += ", token_fields: " + s.TokenFields
			}
			if s.RegistryURL != "" {
				extra += fmt.Sprintf(", registry_url: %q", s.RegistryURL)
			}
			fmt.Fprintf(&cfg, "  - {name: %q, issuer: %q, token_ttl: 5m, header: %s%s}\n", s.Name, s.Issuer, h, extra)
		}
		fmt.Fprintf(&cfg, "keys:\n  - {private_key: %q, certificate: %q}\n", b.Key, b.Cert)
		cfg.WriteString("providers:\n")
		fmt.Fprintf(&cfg, "  - {id: users, type: static, htpasswd: %q, groups: %q}\n", htpasswd, groups)
		for _, p := range opts.ExtraProviders {
			fmt.Fprintf(&cfg, "  - %s\n", p)
		}
		fmt.Fprintf(&cfg, "policy: %q\n", policy)
		if len(opts.DiscoveryServices) > 0 {
			cfg.WriteString("discovery:\n  services:\n")
			for _, d := range opts.DiscoveryServices {
				fmt.Fprintf(&cfg, "    - %s\n", d)
			}
		}
		cfg.WriteString("cache: {size: 1000, ttl: 60s, negative_ttl: 10s}\n")
		// Everything regbridge says goes to its log file, so that a test
		// can check what it logs (never a secret) and a failure shows why.
		cfg.WriteString("log: {level: debug}\n")
		cfg.WriteString("observability: {audit: stderr}\n")
		writeFile(t, b.Config, cfg.String())
	}
	writeConfig(0)
	if r := b.run(t, "check", "--config", b.Config); r.code != 0 {
		t.Fatalf("regbridge check refused the e2e configuration:\n%s\nconfig:\n%s", r, cfg.String())
	}
	b.proc, b.Port = startServer(t, "regbridge", dir, func(port int) serverSpec {
		writeConfig(port)
		return serverSpec{
			env:      baseEnv(dir),
			bin:      regbridgeBin,
			args:     []string{"serve", "--config", b.Config},
			readyURL: "http://127.0.0.1:" + itoa(port) + "/readyz",
			ready:    http.StatusOK,
			timeout:  20 * time.Second,
		}
	})
	b.URL = "http://localhost:" + itoa(b.Port)
	b.Realm = b.URL + "/token"
	return b
}

// run runs a regbridge subcommand and returns what it did.
func (b *Bridge) run(t *testing.T, args ...string) result {
	t.Helper()
	return runCmd(t, b.Dir, baseEnv(b.Dir), "", regbridgeBin, args...)
}

// cli runs a regbridge subcommand that must succeed and returns its stdout.
func (b *Bridge) cli(t *testing.T, args ...string) string {
	t.Helper()
	r := b.run(t, args...)
	if r.code != 0 {
		t.Fatalf("regbridge failed:\n%s", r)
	}
	return r.stdout
}

// JWKSFile writes the output of `regbridge jwks` into the bridge directory
// and returns its path.
func (b *Bridge) JWKSFile(t *testing.T) string {
	t.Helper()
	out := b.cli(t, "jwks", "--config", b.Config)
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal([]byte(out), &set); err != nil || len(set.Keys) == 0 {
		t.Fatalf("regbridge jwks printed no JWKS (%v):\n%s", err, out)
	}
	path := filepath.Join(b.Dir, "jwks.json")
	writeFile(t, path, out)
	return path
}

// Log returns regbridge's log so far.
func (b *Bridge) Log(t *testing.T) string { return b.proc.logText(t) }

// tokenResponse is the JSON body of a successful /token answer.
type tokenResponse struct {
	Token       string `json:"token"`
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
	IssuedAt    string `json:"issued_at"`
}

// Token asks /token directly (GET) for service and scopes, with Basic
// credentials when user is not empty, and returns the status and body.
func (b *Bridge) Token(t *testing.T, service, user, password string, scopes ...string) (int, []byte) {
	t.Helper()
	q := url.Values{"service": {service}}
	for _, s := range scopes {
		q.Add("scope", s)
	}
	req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:"+itoa(b.Port)+"/token?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("GET /token: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatalf("GET /token: read: %v", err)
	}
	return resp.StatusCode, body
}

// MustToken is Token for a request that must succeed; it returns the JWT.
// The answer must carry token and access_token with the same value, or
// access_token alone for a service with token_fields: access_token.
func (b *Bridge) MustToken(t *testing.T, service, user, password string, scopes ...string) string {
	t.Helper()
	code, body := b.Token(t, service, user, password, scopes...)
	if code != http.StatusOK {
		t.Fatalf("GET /token as %q for %v: %d %s", user, scopes, code, body)
	}
	var tr tokenResponse
	if err := json.Unmarshal(body, &tr); err != nil {
		t.Fatalf("token response: %v: %s", err, body)
	}
	want := tr.AccessToken
	if b.accessOnly(service) {
		want = ""
	}
	if tr.AccessToken == "" || tr.Token != want {
		t.Fatalf("token response for service %s: want access_token and token %q: %s", service, want, body)
	}
	return tr.AccessToken
}

// accessOnly reports whether service answers access_token only.
func (b *Bridge) accessOnly(service string) bool {
	for _, s := range b.Services {
		if s.Name == service {
			return s.TokenFields == "access_token"
		}
	}
	return false
}

// htpasswdLines renders bcrypt htpasswd lines (cost 4: fast, still bcrypt).
func htpasswdLines(t *testing.T, users map[string]string) string {
	t.Helper()
	var sb strings.Builder
	for _, name := range sortedKeys(users) {
		h, err := bcrypt.GenerateFromPassword([]byte(users[name]), bcrypt.MinCost)
		if err != nil {
			t.Fatalf("bcrypt: %v", err)
		}
		fmt.Fprintf(&sb, "%s:%s\n", name, h)
	}
	return sb.String()
}

// groupLines renders the groups sidecar file: "group: user1 user2".
func groupLines(groups map[string][]string) string {
	var sb strings.Builder
	for _, g := range sortedKeys(groups) {
		fmt.Fprintf(&sb, "%s: %s\n", g, strings.Join(groups[g], " "))
	}
	return sb.String()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// randomPassword returns a fresh random password.
func randomPassword(t *testing.T) string {
	t.Helper()
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// AuditEvent is the part of a regbridge audit record the tests read.
type AuditEvent struct {
	Endpoint  string   `json:"endpoint"`
	Service   string   `json:"service"`
	Provider  string   `json:"provider"`
	Anonymous bool     `json:"anonymous"`
	Subject   string   `json:"subject"`
	Requested []string `json:"requested"`
	Granted   []string `json:"granted"`
	Outcome   string   `json:"outcome"`
	Status    int      `json:"status"`
	CacheHit  bool     `json:"cache_hit"`
	Reason    string   `json:"reason"`
	Refresh   string   `json:"refresh"`
}

// Audit returns the audit records regbridge has written to its log so far
// (one JSON object per line; other lines are skipped).
func (b *Bridge) Audit(t *testing.T) []AuditEvent {
	t.Helper()
	var out []AuditEvent
	for _, line := range strings.Split(b.Log(t), "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var e AuditEvent
		if err := json.Unmarshal([]byte(line), &e); err != nil || e.Endpoint == "" {
			continue
		}
		out = append(out, e)
	}
	return out
}
