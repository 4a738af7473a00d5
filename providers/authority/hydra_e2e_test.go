package authority

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
)

// EnvHydra names the Hydra v2.3.0 binary for TestHydraEndToEnd; the test is
// skipped when it is unset. See docs/authority.md for the pinned build.
const EnvHydra = "REGBRIDGE_E2E_HYDRA"

// hydraAudience is the audience the test client may request.
const hydraAudience = "https://registry.example"

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startHydra runs `hydra serve all` on two loopback ports with an in-memory
// database and JWT access tokens, and returns the public and admin URLs.
func startHydra(t *testing.T, bin string) (public, admin string) {
	t.Helper()
	pub, adm := freePort(t), freePort(t)
	public, admin = fmt.Sprintf("http://127.0.0.1:%d", pub), fmt.Sprintf("http://127.0.0.1:%d", adm)
	dir := t.TempDir()
	cfg := fmt.Sprintf(`dsn: memory
serve: { public: { host: 127.0.0.1, port: %d }, admin: { host: 127.0.0.1, port: %d } }
urls: { self: { issuer: %s/ } }
strategies: { access_token: jwt }
secrets: { system: [ "regbridge-e2e-local-secret-0123456789abcdef" ] }
oauth2: { allowed_top_level_claims: [ "stellaops:plan", "stellaops:license" ] }
ttl: { access_token: 5m }
log: { level: warn }
`, pub, adm, public)
	file := filepath.Join(dir, "hydra.yml")
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	cmd := exec.Command(bin, "serve", "all", "--dev", "--sqa-opt-out", "-c", file)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("hydra output:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok := true
		for _, u := range []string{public + "/health/ready", admin + "/health/ready"} {
			resp, err := http.Get(u)
			if err != nil || resp.StatusCode != http.StatusOK {
				ok = false
			}
			if err == nil {
				resp.Body.Close()
			}
		}
		if ok {
			return public, admin
		}
		if time.Now().After(deadline) {
			t.Fatalf("hydra not ready after 30s:\n%s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func postJSON(t *testing.T, u string, body any) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(u, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		out, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST %s: %d %s", u, resp.StatusCode, out)
	}
}

func clientCredentials(t *testing.T, public, id, secret string, form url.Values) string {
	t.Helper()
	form.Set("grant_type", "client_credentials")
	req, _ := http.NewRequest(http.MethodPost, public+"/oauth2/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.AccessToken == "" {
		t.Fatalf("token request: %d %v %q", resp.StatusCode, err, out.Error)
	}
	return out.AccessToken
}

// TestHydraEndToEnd validates client-credentials access tokens of a real
// Hydra v2.3.0 by JWT (discovery, JWKS, typ JWT, scp array), by RFC 7662
// introspection, and by both.
func TestHydraEndToEnd(t *testing.T) {
	bin := os.Getenv(EnvHydra)
	if bin == "" {
		t.Skipf("%s is not set", EnvHydra)
	}
	public, admin := startHydra(t, bin)
	const clientID, secret = "ci-bridge-test", "ci-bridge-test-secret"
	postJSON(t, admin+"/admin/clients", map[string]any{
		"client_id": clientID, "client_secret": secret, "grant_types": []string{"client_credentials"},
		"token_endpoint_auth_method": "client_secret_basic", "scope": "registry.token.issue openid",
		"audience": []string{hydraAudience}, "access_token_strategy": "jwt",
	})
	token := clientCredentials(t, public, clientID, secret, url.Values{"scope": {"registry.token.issue"}, "audience": {hydraAudience}})
	noAudience := clientCredentials(t, public, clientID, secret, url.Values{"scope": {"registry.token.issue"}})

	base := Config{
		Issuer:           public + "/",
		Audiences:        []string{hydraAudience},
		AccessTokenTypes: []string{"JWT"},
		ScopeClaim:       "both",
		ClaimsPath:       "ext",
		ClientIDs:        []string{clientID},
		SenderConstraint: ConstraintNone,
	}
	jwtMode := base
	jwtMode.Discovery = true
	introMode := base
	introMode.Validation, introMode.IntrospectionURL, introMode.ClientAuth = ValidationIntrospection, admin+"/admin/oauth2/introspect", AuthNone
	both := jwtMode
	both.Validation, both.IntrospectionURL, both.ClientAuth = ValidationBoth, introMode.IntrospectionURL, AuthNone

	for name, cfg := range map[string]Config{"jwt": jwtMode, "introspection": introMode, "both": both} {
		t.Run(name, func(t *testing.T) {
			p, err := New("hydra", cfg, providers.Deps{})
			if err != nil {
				t.Fatal(err)
			}
			id, err := check(p, bearerCred(token))
			if err != nil {
				t.Fatalf("valid Hydra token refused: %v", err)
			}
			if id.Subject != clientID || !slices.Contains(id.Grants, "registry.token.issue") || id.Expiry.IsZero() {
				t.Errorf("identity = %+v", id)
			}
			if _, err := check(p, dpopCred(token)); err == nil {
				t.Error("an unbound Hydra token was accepted on the DPoP scheme")
			}
			if name != "introspection" {
				if _, err := check(p, bearerCred(noAudience)); err == nil {
					t.Error("a Hydra token with aud [] was accepted")
				}
			}
			if _, err := check(p, bearerCred(token+"x")); err == nil {
				t.Error("a tampered token was accepted")
			}
		})
	}
	// The default typ check (RFC 9068 at+jwt) refuses Hydra's typ JWT.
	strict := jwtMode
	strict.AccessTokenTypes = nil
	p, err := New("hydra", strict, providers.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Authenticate(context.Background(), bearerCred(token)); err == nil {
		t.Error("typ JWT accepted without access_token_types: [JWT]")
	}
}
