package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers/authority/authtest"
	"github.com/regbridge/regbridge/providers/oidc/oidctest"
	"github.com/regbridge/regbridge/state/redistest"
)

// The public URL both replicas share behind a load balancer: the DPoP htu.
const replicaPublicURL = "https://regbridge.example"

const replicaConfig = `services: [{name: registry.example.com, issuer: regbridge}]
keys: [{private_key: key.pem, certificate: cert.pem}]
policy: policy.yaml
public_url: ` + replicaPublicURL + `
state: {url: "REDIS", timeout: 500ms}
providers:
  - id: ci
    type: oidc
    issuer: "ISSUER"
    audiences: [regbridge]
    replay: single-use
  - id: authority
    type: authority
    issuer: "AS"
    audiences: [registry]
    validation: jwt
    discovery: true
    sender_constraint: dpop
`

const replicaPolicy = `version: 1
rules:
  - {id: ci, who: [ci], grant: [{repository: "ci/**", actions: [pull, push]}]}
  - {id: svc, who: [authority], grant: [{repository: "svc/**", actions: [pull, push]}]}
  - {id: public, who: anyone, grant: [{repository: "public/**", actions: [pull]}]}
`

// replicas starts two regbridge runtimes, each with its own files and
// signing key, sharing one Redis and one public URL.
type replicas struct {
	redis  *redistest.Server
	oidc   *oidctest.Issuer
	as     *authtest.Server
	a, b   *httptest.Server
	rtA    *runtime
	config string
}

func startReplicas(t *testing.T) *replicas {
	t.Helper()
	r := &replicas{redis: redistest.Start(t, redistest.Options{}), oidc: oidctest.New(t, oidctest.Options{}), as: authtest.NewServer(t)}
	r.config = strings.NewReplacer("REDIS", r.redis.URL(0), "ISSUER", r.oidc.Issuer(), "AS", r.as.Issuer).Replace(replicaConfig)
	files := map[string]string{"config.yaml": r.config, "policy.yaml": replicaPolicy}
	var rtB *runtime
	_, r.rtA, _ = startBridge(t, files, time.Now)
	_, rtB, _ = startBridge(t, files, time.Now)
	for _, rt := range []*runtime{r.rtA, rtB} {
		if got := rt.replay.name(); got != "redis" {
			t.Fatalf("replay backend %q, want redis", got)
		}
		t.Cleanup(rt.replay.close)
	}
	r.a = httptest.NewServer(r.rtA.srv)
	t.Cleanup(r.a.Close)
	r.b = httptest.NewServer(rtB.srv)
	t.Cleanup(r.b.Close)
	return r
}

// idToken mints a fresh single-use ID token from the fake CI issuer.
func (r *replicas) idToken() string {
	return r.oidc.Mint(r.oidc.Claims("regbridge", time.Now(), 10*time.Minute))
}

// dpopToken calls GET /token at srv with a DPoP-bound token and a proof.
func dpopToken(t *testing.T, srv *httptest.Server, token, proof string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/token?service=registry.example.com&scope=repository:svc/app:pull", nil)
	req.Header.Set("Authorization", "DPoP "+token)
	req.Header.Set("DPoP", proof)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate")
}

func TestSingleUseIDTokenAcceptedByOneReplicaIsRefusedByTheOther(t *testing.T) {
	r := startReplicas(t)
	scope := "/token?service=registry.example.com&scope=repository:ci/app:pull"
	tok := r.idToken()
	if code, body := tokenStatus(t, r.a.URL+scope, "ci", tok); code != http.StatusOK {
		t.Fatalf("first use at replica A: %d %v", code, body)
	}
	if code, _ := tokenStatus(t, r.b.URL+scope, "ci", tok); code != http.StatusUnauthorized {
		t.Errorf("the same token at replica B: %d, want 401", code)
	}
	if code, _ := tokenStatus(t, r.a.URL+scope, "ci", tok); code != http.StatusUnauthorized {
		t.Errorf("the same token again at replica A (cached there): %d, want 401", code)
	}
	if code, body := tokenStatus(t, r.b.URL+scope, "ci", r.idToken()); code != http.StatusOK {
		t.Errorf("a new token at replica B: %d %v, want 200", code, body)
	}
}

func TestSingleUseIDTokenRacedAtBothReplicasIsAcceptedExactlyOnce(t *testing.T) {
	r := startReplicas(t)
	scope := "/token?service=registry.example.com&scope=repository:ci/app:pull"
	tok := r.idToken()
	var ok, refused atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			base := r.a.URL
			if i%2 == 1 {
				base = r.b.URL
			}
			switch code, _ := tokenStatus(t, base+scope, "ci", tok); code {
			case http.StatusOK:
				ok.Add(1)
			case http.StatusUnauthorized:
				refused.Add(1)
			default:
				t.Errorf("status %d", code)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1 || refused.Load() != 19 {
		t.Errorf("%d accepted and %d refused of 20 concurrent uses at two replicas, want 1 and 19", ok.Load(), refused.Load())
	}
}

func TestDPoPProofReplayedAtTheOtherReplicaIsRefused(t *testing.T) {
	r := startReplicas(t)
	key, err := authtest.NewProofKey("ES256")
	if err != nil {
		t.Fatal(err)
	}
	bound := r.as.JWT(authtest.Token{JKT: key.JKT()})
	proof := key.Proof(http.MethodGet, replicaPublicURL+"/token", bound)
	if code, challenge := dpopToken(t, r.a, bound, proof); code != http.StatusOK {
		t.Fatalf("first use of the proof at replica A: %d %q", code, challenge)
	}
	code, challenge := dpopToken(t, r.b, bound, proof)
	if code != http.StatusUnauthorized || !strings.Contains(challenge, "invalid_dpop_proof") {
		t.Errorf("the proof replayed at replica B: %d %q, want 401 invalid_dpop_proof", code, challenge)
	}
	fresh := key.Proof(http.MethodGet, replicaPublicURL+"/token", bound)
	if code, challenge := dpopToken(t, r.b, bound, fresh); code != http.StatusOK {
		t.Errorf("a fresh proof at replica B: %d %q, want 200", code, challenge)
	}
}

func TestRedisDownFailsReplayChecksClosedWith503AndLeavesOtherRequestsServed(t *testing.T) {
	r := startReplicas(t)
	r.redis.Stop()
	scope := "/token?service=registry.example.com&scope=repository:ci/app:pull"
	req, _ := http.NewRequest(http.MethodGet, r.a.URL+scope, nil)
	req.SetBasicAuth("ci", r.idToken())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("single-use token with Redis down: %d Retry-After %q, want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	key, err := authtest.NewProofKey("ES256")
	if err != nil {
		t.Fatal(err)
	}
	bound := r.as.JWT(authtest.Token{JKT: key.JKT()})
	if code, _ := dpopToken(t, r.b, bound, key.Proof(http.MethodGet, replicaPublicURL+"/token", bound)); code != http.StatusServiceUnavailable {
		t.Errorf("DPoP proof with Redis down: %d, want 503", code)
	}
	if code, body := tokenStatus(t, r.a.URL+"/token?service=registry.example.com&scope=repository:public/x:pull", "", ""); code != http.StatusOK {
		t.Errorf("anonymous pull with Redis down: %d %v, want 200 (no replay check needed)", code, body)
	}
}

func readyState(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	st, _ := body["state"].(map[string]any)
	if body["ready"] == nil || body["keys"] == nil {
		t.Errorf("readyz lost the bridge's members: %v", body)
	}
	return resp.StatusCode, st
}

func TestReadyzReportsTheStateBackendWithoutMakingRedisARequirement(t *testing.T) {
	r := startReplicas(t)
	code, st := readyState(t, r.a.URL)
	if code != http.StatusOK || st["backend"] != "redis" || st["reachable"] != true {
		t.Errorf("readyz with Redis up: %d state %v", code, st)
	}
	r.redis.Stop()
	code, st = readyState(t, r.a.URL)
	if code != http.StatusOK || st["backend"] != "redis" || st["reachable"] != false {
		t.Errorf("readyz with Redis down: %d state %v, want 200 and reachable false", code, st)
	}
	for _, leak := range []string{r.redis.Addr, "redis://"} {
		resp, _ := http.Get(r.a.URL + "/readyz")
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(raw), leak) {
			t.Errorf("readyz shows %q: %s", leak, raw)
		}
	}
}

func TestReadyzReportsTheMemoryBackendWithoutState(t *testing.T) {
	_, rt, _ := startBridge(t, map[string]string{
		"config.yaml": reloadConfig,
		"policy.yaml": "version: 1\nrules:\n  - {id: a, who: anyone, grant: [{repository: \"public/**\", actions: [pull]}]}\n",
	}, time.Now)
	ts := httptest.NewServer(rt.srv)
	defer ts.Close()
	code, st := readyState(t, ts.URL)
	if code != http.StatusOK || st["backend"] != "memory" || len(st) != 1 {
		t.Errorf("readyz: %d state %v, want 200 and backend memory", code, st)
	}
}

func TestStatePasswordFileAuthenticatesToRedis(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{Password: "from-a-secret"})
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "redis-password"), []byte("from-a-secret\n"), 0o600)
	cfg := StateConfig{URL: srv.URL(0), PasswordFile: filepath.Join(dir, "redis-password")}
	b, err := newReplayBackend(cfg, time.Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.close()
	if fresh, err := b.store.Remember(t.Context(), "k", time.Now().Add(time.Minute)); err != nil || !fresh {
		t.Errorf("Remember with the password file: fresh %v, err %v", fresh, err)
	}
	cfg.PasswordFile = filepath.Join(dir, "missing")
	if _, err := newReplayBackend(cfg, time.Now, nil); err == nil || !strings.Contains(err.Error(), "state.password_file") {
		t.Errorf("a missing password file: err %v, want a state.password_file error", err)
	}
	os.WriteFile(filepath.Join(dir, "empty"), []byte("\n"), 0o600)
	cfg.PasswordFile = filepath.Join(dir, "empty")
	if _, err := newReplayBackend(cfg, time.Now, nil); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("an empty password file: err %v, want it refused", err)
	}
}

func TestReadyzAnswersQuicklyWhenRedisHangs(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	held := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held <- c // accepted, never answered
		}
	}()
	defer func() {
		for len(held) > 0 {
			(<-held).Close()
		}
	}()
	_, rt, _ := startBridge(t, map[string]string{
		"config.yaml": reloadConfig + "state: {url: \"redis://" + ln.Addr().String() + "/0\", timeout: 5s}\n",
		"policy.yaml": "version: 1\nrules:\n  - {id: a, who: anyone, grant: [{repository: \"public/**\", actions: [pull]}]}\n",
	}, time.Now)
	defer rt.replay.close()
	rec := httptest.NewRecorder()
	start := time.Now()
	rt.srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if took := time.Since(start); took > time.Second {
		t.Errorf("/readyz took %v with a hung Redis, want well under a probe's 1s", took)
	}
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	st, _ := body["state"].(map[string]any)
	if rec.Code != http.StatusOK || body["ready"] != true || st["reachable"] != false {
		t.Errorf("/readyz: %d %v", rec.Code, body)
	}
}
