package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// kubeletJSON is the request the kubelet writes for a pod whose service
// account token it passes (tokenAttributes set).
const kubeletJSON = `{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"%s/team/app:1.0","serviceAccountToken":"%s","serviceAccountAnnotations":{"regbridge.example/role":"puller"}}`

func kubeletCall(t *testing.T, w *world, req string) (map[string]any, string, int) {
	t.Helper()
	w.h.now = func() time.Time { return testNow }
	var out bytes.Buffer
	code := w.h.run(context.Background(), []string{"kubelet"}, strings.NewReader(req), &out)
	if code != 0 {
		return nil, w.stderr.String(), code
	}
	var resp map[string]any
	dec := json.NewDecoder(&out)
	dec.UseNumber()
	if err := dec.Decode(&resp); err != nil {
		t.Fatalf("the answer is not JSON: %v: %q", err, out.String())
	}
	return resp, "", 0
}

func TestKubeletModePassesThePodsServiceAccountTokenAndCachesNoLongerThanItLives(t *testing.T) {
	w := newWorld(t)
	w.configure(t, "registries:\n  "+w.host+": {source: kubernetes, plain_http: true, kubelet_cache_max: 1h}\n")
	tests := []struct {
		name string
		life time.Duration
		want string
	}{
		{"a token for ten more minutes", 10 * time.Minute, "9m30s"},
		{"a token past the cap", 3 * time.Hour, "1h0m0s"},
		{"a token about to expire", 20 * time.Second, "0s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sa := fakeJWT(t, map[string]any{"sub": "system:serviceaccount:team:puller", "exp": testNow.Add(tc.life).Unix()})
			resp, stderr, code := kubeletCall(t, w, strings.Replace(strings.Replace(kubeletJSON, "%s", w.host, 1), "%s", sa, 1))
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if resp["apiVersion"] != kubeletAPIVersion || resp["kind"] != "CredentialProviderResponse" || resp["cacheKeyType"] != "Registry" {
				t.Errorf("schema: %v", resp)
			}
			if got := resp["cacheDuration"]; got != tc.want {
				t.Errorf("cacheDuration = %v, want %s", got, tc.want)
			}
			if d, err := time.ParseDuration(resp["cacheDuration"].(string)); err != nil || d > tc.life {
				t.Errorf("cacheDuration %v outlives the token (%s)", d, tc.life)
			}
			auth, _ := resp["auth"].(map[string]any)
			entry, _ := auth[w.host].(map[string]any)
			if entry["username"] != "regbridge" || entry["password"] != sa || len(auth) != 1 {
				t.Errorf("auth = %v", auth)
			}
		})
	}
}

func TestKubeletModeAnswersAnUnconfiguredRegistryWithoutAuth(t *testing.T) {
	w := newWorld(t)
	w.configure(t, "registries:\n  "+w.host+": {source: kubernetes, plain_http: true}\n")
	sa := fakeJWT(t, map[string]any{"exp": testNow.Add(time.Hour).Unix()})
	resp, stderr, code := kubeletCall(t, w, strings.Replace(strings.Replace(kubeletJSON, "%s", "other.example", 1), "%s", sa, 1))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, ok := resp["auth"]; ok || resp["cacheDuration"] != "0s" {
		t.Errorf("answer = %v, want no auth and no caching", resp)
	}
}

func TestKubeletRequestsAreCheckedBeforeAnythingIsDone(t *testing.T) {
	w := newWorld(t)
	w.configure(t, "registries: {}\n")
	for _, req := range []string{
		`{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1beta1","image":"r.example/x"}`,
		`{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1"}`,
		`{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"r.example/x","serviceAccountToken":"a b"}`,
		`{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"r.example/x"} {}`,
	} {
		if _, _, code := kubeletCall(t, w, req); code != 1 {
			t.Errorf("%s: exit %d, want 1", req, code)
		}
	}
}

func TestImageRegistry(t *testing.T) {
	for in, want := range map[string]string{
		"registry.example.com/team/app:1": "registry.example.com",
		"127.0.0.1:5000/app":              "127.0.0.1:5000",
		"localhost/app":                   "localhost",
		"library/nginx":                   "docker.io",
		"nginx":                           "docker.io",
		"Registry.Example.com/app":        "registry.example.com",
	} {
		if got := imageRegistry(in); got != want {
			t.Errorf("imageRegistry(%q) = %q, want %q", in, got, want)
		}
	}
}
