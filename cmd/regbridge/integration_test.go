package main

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regbridge/regbridge/bridge"
	"github.com/regbridge/regbridge/bridge/signing"
	"github.com/regbridge/regbridge/providers/sourcehut/srhttest"
)

// startBridge writes files into a temp dir, loads config.yaml through the
// real configuration path and serves it on loopback.
func startBridge(t *testing.T, files map[string]string, now func() time.Time) (*httptest.Server, *runtime, string) {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	signer, cert, err := signing.GenerateKey("", "test", time.Hour*24*365, time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := signing.WriteKeyFiles(filepath.Join(dir, "key.pem"), filepath.Join(dir, "cert.pem"), signer, cert); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(filepath.Join(dir, "config.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := newRuntime(cfg, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), now)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(rt.srv)
	t.Cleanup(ts.Close)
	return ts, rt, dir
}

func tokenStatus(t *testing.T, url, user, pass string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.SetBasicAuth(user, pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0, nil
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

const sourcehutConfig = `services: [{name: registry.example.com, issuer: regbridge}]
keys: [{private_key: key.pem, certificate: cert.pem}]
cache: {ttl: 60s, negative_ttl: 10s}
policy: policy.yaml
providers:
  - id: sourcehut
    type: sourcehut
    meta_url: META
    registry_domain: registry.example.com
    usernames: ["*"]
`

const sourcehutPolicy = `version: 1
rules:
  - id: own
    who: [sourcehut]
    grant: [{repository: "${username}/**", actions: [pull, push]}]
`

// startSourcehutBridge serves sourcehutConfig against a fake meta.sr.ht
// that shares the bridge's clock.
func startSourcehutBridge(t *testing.T) (*httptest.Server, *srhttest.Server, *srhttest.Clock) {
	t.Helper()
	clock := srhttest.NewClock(time.Now())
	meta := srhttest.New(t, srhttest.Options{Now: clock.Now})
	ts, _, _ := startBridge(t, map[string]string{
		"config.yaml": strings.Replace(sourcehutConfig, "META", meta.URL, 1),
		"policy.yaml": sourcehutPolicy,
	}, clock.Now)
	return ts, meta, clock
}

func TestHundredConcurrentSourcehutLoginsMakeOneMetaCallThenOneMoreAfterTheTTL(t *testing.T) {
	ts, meta, clock := startSourcehutBridge(t)
	tok := meta.MintBuilds("jdoe", "registry.example.com/REGISTRY:RW", 45*time.Minute)
	url := ts.URL + "/token?service=registry.example.com&scope=repository:jdoe/app:pull,push"
	login := func() {
		var wg sync.WaitGroup
		for i := 0; i < 100; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if code, body := tokenStatus(t, url, "sourcehut", tok); code != 200 {
					t.Errorf("status %d %v", code, body)
				}
			}()
		}
		wg.Wait()
	}
	login()
	if n := meta.CountToken(tok); n != 1 {
		t.Fatalf("meta saw %d requests for 100 concurrent logins, want 1", n)
	}
	clock.Advance(61 * time.Second)
	login()
	if n := meta.CountToken(tok); n != 2 {
		t.Fatalf("after the TTL meta saw %d requests in all, want 2", n)
	}
}

func TestSourcehutTokenGrantsOnlyTheOwnNamespaceAndOutageIs503(t *testing.T) {
	ts, meta, _ := startSourcehutBridge(t)
	ro := meta.MintBuilds("jdoe", "registry.example.com/REGISTRY:RO", 45*time.Minute)
	code, body := tokenStatus(t, ts.URL+"/token?service=registry.example.com&scope=repository:jdoe/app:pull,push&scope=repository:other/app:pull", "sourcehut", ro)
	if code != 200 {
		t.Fatalf("status %d %v", code, body)
	}
	claims := decodeClaims(t, body["token"].(string))
	if got := accessString(claims); got != "repository:jdoe/app:pull" {
		t.Errorf("RO token granted %q, want pull on its own namespace only", got)
	}
	meta.SetFault(srhttest.FaultServiceUnavailable)
	fresh := meta.MintBuilds("jdoe", "registry.example.com/REGISTRY:RW", 45*time.Minute)
	if code, _ := tokenStatus(t, ts.URL+"/token?service=registry.example.com", "sourcehut", fresh); code != 503 {
		t.Errorf("meta down: status %d, want 503", code)
	}
}

func decodeClaims(t *testing.T, tok string) signing.Claims {
	t.Helper()
	parts := strings.Split(tok, ".")
	raw, err := base64URL(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c signing.Claims
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func accessString(c signing.Claims) string {
	var parts []string
	for _, a := range c.Access {
		parts = append(parts, a.Type+":"+a.Name+":"+strings.Join(a.Actions, ","))
	}
	return strings.Join(parts, " ")
}

func base64URL(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

const reloadConfig = `services: [{name: registry.example.com, issuer: regbridge}]
keys: [{private_key: key.pem, certificate: cert.pem}]
policy: policy.yaml
`

func TestPolicyFileChangesReloadAndBadPoliciesAreRefused(t *testing.T) {
	ts, rt, dir := startBridge(t, map[string]string{
		"config.yaml": reloadConfig,
		"policy.yaml": "version: 1\nrules:\n  - {id: a, who: anyone, grant: [{repository: \"public/**\", actions: [pull]}]}\n",
	}, time.Now)
	rt.watch = newWatcher(rt.cfg.file, rt.cfg.Policy)
	url := ts.URL + "/token?service=registry.example.com&scope=repository:other/x:pull"
	grantedNow := func() string {
		code, body := tokenStatus(t, url, "", "")
		if code != 200 {
			t.Fatalf("status %d %v", code, body)
		}
		return accessString(decodeClaims(t, body["token"].(string)))
	}
	if g := grantedNow(); g != "" {
		t.Fatalf("before reload granted %q", g)
	}
	policy := filepath.Join(dir, "policy.yaml")
	os.WriteFile(policy, []byte("version: 1\nrules:\n  - {id: b, who: anyone, grant: [{repository: \"other/**\", actions: [pull]}]}\n"), 0o600)
	if changed := rt.watch.changed(); changed != policy {
		t.Fatalf("watcher saw %q", changed)
	}
	rt.reload("change of " + policy)
	if g := grantedNow(); g != "repository:other/x:pull" {
		t.Fatalf("after reload granted %q", g)
	}
	// A policy whose inline test fails is refused; the last good one stays.
	os.WriteFile(policy, []byte(`version: 1
rules:
  - {id: c, who: anyone, grant: [{repository: "nothing/**", actions: [pull]}]}
tests:
  - name: other is pullable
    identity: {anonymous: true}
    request: ["repository:other/x:pull"]
    expect: ["repository:other/x:pull"]
`), 0o600)
	rt.watch.changed()
	rt.reload("SIGHUP")
	if g := grantedNow(); g != "repository:other/x:pull" {
		t.Fatalf("after a refused reload granted %q", g)
	}
	resp, err := http.Get(ts.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ready struct {
		Ready      bool                `json:"ready"`
		LastReload bridge.ReloadStatus `json:"last_reload"`
	}
	json.NewDecoder(resp.Body).Decode(&ready)
	if !ready.Ready || ready.LastReload.OK || ready.LastReload.Refused != 1 || !strings.Contains(ready.LastReload.Error, "other is pullable") {
		t.Errorf("readyz after a refused reload: %+v", ready)
	}
}
