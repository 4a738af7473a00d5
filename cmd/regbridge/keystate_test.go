package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers/oidc/oidctest"
)

func TestARestartDuringAnIssuerOutageVerifiesWithTheKeysInTheStateDirectoryAndSaysSo(t *testing.T) {
	is := oidctest.New(t, oidctest.Options{Alg: "ES256"})
	state := filepath.Join(t.TempDir(), "state")
	files := map[string]string{
		"config.yaml": strings.NewReplacer("ISSUER", is.Issuer(), "AUDIENCE", "regbridge", "EXTRA", "").Replace(changedIssuerConfig) +
			"state_dir: " + state + "\nmax_stale_keys: 1h\nobservability: {metrics_on_token_listener: true}\n",
		"policy.yaml": changedIssuerPolicy,
	}
	token := func() string { return is.Mint(is.Claims("regbridge", time.Now(), 10*time.Minute)) }
	scope := "/token?service=registry.example.com&scope=repository:ci/app:pull"
	first, _, _ := startBridge(t, files, time.Now)
	if code, body := tokenStatus(t, first.URL+scope, "ci", token()); code != http.StatusOK {
		t.Fatalf("before the outage: status %d %v", code, body)
	}
	if got := staleKeys(t, first.URL); len(got) != 0 {
		t.Errorf("fetched keys reported stale: %v", got)
	}

	down := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "down", http.StatusBadGateway) })
	is.Handle(is.DiscoveryPath(), down)
	is.Handle(is.JWKSPath(), down)
	restarted, _, _ := startBridge(t, files, time.Now)
	for range 3 {
		if code, body := tokenStatus(t, restarted.URL+scope, "ci", token()); code != http.StatusOK {
			t.Fatalf("after the restart: status %d %v", code, body)
		}
	}
	got := staleKeys(t, restarted.URL)
	if len(got) != 1 || got[0].Source != is.JWKSURI() {
		t.Errorf("/readyz stale_keys = %+v, want the issuer's JWKS", got)
	}
	if m := metricsText(t, restarted.URL); !strings.Contains(m, "\nregbridge_issuer_keys_stale 1\n") {
		t.Errorf("/metrics has no regbridge_issuer_keys_stale 1:\n%s", m)
	}
}

func TestMaxStaleKeysNeedsAStateDirAndIsNeverNegative(t *testing.T) {
	for name, extra := range map[string]string{
		"without state_dir": "max_stale_keys: 1h\n",
		"negative":          "state_dir: state\nmax_stale_keys: -1h\n",
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.yaml")
			config := strings.NewReplacer("ISSUER", "https://issuer.example", "AUDIENCE", "r", "EXTRA", "").Replace(changedIssuerConfig)
			if err := os.WriteFile(path, []byte(config+extra), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := loadConfig(path, nil)
			if err == nil || !strings.Contains(err.Error(), "max_stale_keys") {
				t.Fatalf("err = %v, want a max_stale_keys problem", err)
			}
		})
	}
}

type staleEntry struct {
	Source     string `json:"source"`
	AgeSeconds int64  `json:"age_seconds"`
}

func staleKeys(t *testing.T, base string) []staleEntry {
	t.Helper()
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ready struct {
		StaleKeys *[]staleEntry `json:"stale_keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&ready); err != nil {
		t.Fatal(err)
	}
	if ready.StaleKeys == nil {
		t.Fatal("/readyz has no stale_keys member with state_dir set")
	}
	return *ready.StaleKeys
}

func metricsText(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
