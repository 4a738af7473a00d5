package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// hydra is a running Ory Hydra v2.3.0 (`hydra serve all` with an in-memory
// SQLite database and JWT access tokens) on two loopback ports.
type hydra struct {
	Public string // http://127.0.0.1:PORT, the issuer without its slash
	Admin  string // http://127.0.0.1:PORT, clients and introspection
	Issuer string // Public + "/"
	// hook is the token hook: the claims each client's access tokens get.
	hook *hydraHook
	proc *proc
}

// hydraHook is Hydra's `oauth2.token_hook`: Hydra asks it, for every token
// (client_credentials included), which extra claims to add; they land under
// `ext` and, when allow-listed, also at the top level.
type hydraHook struct {
	mu     sync.Mutex
	claims map[string]map[string]any // client_id -> claims
	calls  int
}

func (h *hydraHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Request struct {
			ClientID string `json:"client_id"`
		} `json:"request"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	h.calls++
	claims, ok := h.claims[req.Request.ClientID]
	h.mu.Unlock()
	if !ok {
		w.WriteHeader(http.StatusNoContent) // no extra claims
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"session": map[string]any{"access_token": claims}})
}

// Calls is how many times Hydra called the hook.
func (h *hydraHook) Calls() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.calls
}

// hydraSystemSecret is a local, throw-away secret (32+ characters).
const hydraSystemSecret = "regbridge-e2e-local-secret-0123456789abcdef"

// startHydra runs Hydra with the token hook on loopback and waits until both
// ports are ready.
func startHydra(t *testing.T) *hydra {
	t.Helper()
	bin := needTool(t, toolHydra)
	dir := t.TempDir()
	h := &hydra{hook: &hydraHook{claims: map[string]map[string]any{}}}
	hookSrv := httptest.NewServer(h.hook) // 127.0.0.1
	t.Cleanup(hookSrv.Close)
	var admin int
	p, public := startServer(t, "hydra", dir, func(port int) serverSpec {
		admin = freePort(t)
		cfg := fmt.Sprintf(`dsn: memory
serve: { public: { host: 127.0.0.1, port: %d }, admin: { host: 127.0.0.1, port: %d } }
urls: { self: { issuer: "http://127.0.0.1:%d/" } }
strategies: { access_token: jwt, jwt: { scope_claim: list } }
secrets: { system: [ %q ] }
oauth2:
  allowed_top_level_claims: [ "stellaops:plan", "stellaops:license" ]
  token_hook: %q
ttl: { access_token: 5m }
log: { level: info, leak_sensitive_values: false }
`, port, admin, port, hydraSystemSecret, hookSrv.URL+"/token-hook")
		path := filepath.Join(dir, "hydra.yml")
		writeFile(t, path, cfg)
		return serverSpec{
			env:      baseEnv(dir),
			bin:      bin,
			args:     []string{"serve", "all", "--dev", "--sqa-opt-out", "-c", path},
			readyURL: "http://127.0.0.1:" + itoa(port) + "/health/ready",
			ready:    http.StatusOK,
			timeout:  30 * time.Second,
		}
	})
	h.proc = p
	h.Public = "http://127.0.0.1:" + itoa(public)
	h.Admin = "http://127.0.0.1:" + itoa(admin)
	h.Issuer = h.Public + "/"
	if err := p.waitReady(h.Admin+"/health/ready", http.StatusOK, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	h.warmUp(t)
	return h
}

// warmUp asks for Hydra's discovery document once, with time to spare:
// Hydra creates its ID-token signing key on the first such request, which
// took more than the bridge's 5 s discovery timeout on a loaded machine,
// and gives up on the key when the client does. The key-set document is
// not asked for: the tests count who asks for it.
func (h *hydra) warmUp(t *testing.T) {
	t.Helper()
	client := &http.Client{Timeout: 60 * time.Second}
	var last string
	for range 3 {
		resp, err := client.Get(h.Public + "/.well-known/openid-configuration")
		if err != nil {
			last = err.Error()
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return
		}
		last = resp.Status
	}
	t.Fatalf("hydra: discovery document: %s; last lines of its log:\n%s", last, tailFile(h.proc.log, 40))
}

// hydraClient is an OAuth client registered at Hydra.
type hydraClient struct {
	ID, Secret string
}

// createClient registers a confidential client-credentials client that may
// ask for scope and audience, whose tokens get claims from the token hook.
func (h *hydra) createClient(t *testing.T, id, scope, audience string, claims map[string]any) hydraClient {
	t.Helper()
	c := hydraClient{ID: id, Secret: randomPassword(t)}
	body, err := json.Marshal(map[string]any{
		"client_id": c.ID, "client_secret": c.Secret,
		// grant_types, plural: with grant_type the token call fails.
		"grant_types":                []string{"client_credentials"},
		"token_endpoint_auth_method": "client_secret_basic",
		"scope":                      scope,
		"audience":                   []string{audience},
		"access_token_strategy":      "jwt",
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(h.Admin+"/admin/clients", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("hydra: create client: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		t.Fatalf("hydra: create client %s: %s %s", id, resp.Status, b)
	}
	if claims != nil {
		h.hook.mu.Lock()
		h.hook.claims[id] = claims
		h.hook.mu.Unlock()
	}
	return c
}

// clientCredentials fetches an access token for c with scope and audience.
func (h *hydra) clientCredentials(t *testing.T, c hydraClient, scope, audience string) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {scope}, "audience": {audience}}
	req, err := http.NewRequest(http.MethodPost, h.Public+"/oauth2/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(c.ID, c.Secret)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("hydra: token: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var out struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &out) != nil || out.AccessToken == "" {
		t.Fatalf("hydra: client_credentials for %s: %s %s", c.ID, resp.Status, b)
	}
	return out.AccessToken
}

// served counts the requests to path that Hydra answered so far (its
// request log: one "http_response" line per answered request).
func (h *hydra) served(t *testing.T, path string) int {
	t.Helper()
	n := 0
	for _, line := range strings.Split(h.proc.logText(t), "\n") {
		if strings.Contains(line, "path:"+path+" ") && strings.Contains(line, "http_response=") {
			n++
		}
	}
	return n
}
