package main

import (
	"testing"
	"time"
)

func FuzzParseMetadata(f *testing.F) {
	f.Add([]byte(`{"token_endpoint":"https://rb.example/token","services":[{"service":"s","issuers":[{"issuer":"https://i","audiences":["a"]}],"device_flow":{"issuer":"https://idp","client_id":"c","scopes":["openid"]}}]}`))
	f.Add([]byte(`{"token_endpoint":"http://evil.example/token","services":[]}`))
	f.Add([]byte(`{"token_endpoint":"https://rb.example/token"} trailing`))
	f.Fuzz(func(t *testing.T, b []byte) {
		md, err := parseMetadata(b)
		if err != nil {
			return
		}
		if !checkedURL(md.TokenEndpoint) {
			t.Fatalf("accepted token endpoint %q", md.TokenEndpoint)
		}
		for _, s := range md.Services {
			if s.Service == "" || (s.DeviceFlow != nil && (s.DeviceFlow.ClientID == "" || !checkedURL(s.DeviceFlow.Issuer))) {
				t.Fatalf("accepted service %+v", s)
			}
		}
	})
}

func FuzzParseKubeletRequest(f *testing.F) {
	f.Add([]byte(`{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"r.example/app","serviceAccountToken":"a.b.c"}`))
	f.Add([]byte(`{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":""}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := parseKubeletRequest(b)
		if err != nil {
			return
		}
		if req.Image == "" || req.APIVersion != kubeletAPIVersion {
			t.Fatalf("accepted %+v", req)
		}
		if host := imageRegistry(req.Image); host == "" {
			t.Fatalf("no registry for image %q", req.Image)
		}
		kubeletCacheDuration("", Registry{}, time.Unix(0, 0))
		if d := kubeletCacheDuration(providersSecret(req.ServiceAccountToken), Registry{}, time.Unix(0, 0)); d < 0 || d > defaultKubeletCacheMax {
			t.Fatalf("cache duration %v", d)
		}
	})
}

func FuzzParseChallenge(f *testing.F) {
	f.Add(`Bearer realm="https://r/token",service="s",scope="repository:a:pull"`)
	f.Add(`Bearer realm="a\"b`)
	f.Fuzz(func(t *testing.T, s string) {
		realm, _, err := parseChallenge([]string{s})
		if err == nil && realm == "" {
			t.Fatal("accepted a challenge without a realm")
		}
	})
}
