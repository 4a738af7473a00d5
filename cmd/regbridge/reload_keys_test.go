package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers/authority/authtest"
	"github.com/regbridge/regbridge/providers/oidc/oidctest"
)

const heldKeysConfig = `services: [{name: registry.example.com, issuer: regbridge}]
keys: [{private_key: key.pem, certificate: cert.pem}]
policy: policy.yaml
public_url: https://regbridge.example
providers:
  - id: ci
    type: oidc
    issuer: "ISSUER"
    audiences: [regbridge]
  - id: authority
    type: authority
    issuer: "AS"
    audiences: [registry]
    discovery: true
    sender_constraint: none
`

const heldKeysPolicy = `version: 1
rules:
  - {id: ci, who: [ci], grant: [{repository: "ci/**", actions: [pull]}]}
  - {id: svc, who: [authority], grant: [{repository: "svc/**", actions: [pull]}]}
`

func TestAReloadDuringAnIssuerOutageKeepsAcceptingTokensSignedWithTheHeldKeys(t *testing.T) {
	is := oidctest.New(t, oidctest.Options{Alg: "ES256"})
	as := authtest.NewServer(t)
	ts, rt, _ := startBridge(t, map[string]string{
		"config.yaml": strings.NewReplacer("ISSUER", is.Issuer(), "AS", as.Issuer).Replace(heldKeysConfig),
		"policy.yaml": heldKeysPolicy,
	}, time.Now)
	url := ts.URL + "/token?service=registry.example.com&scope=repository:ci/app:pull"
	idToken := func() string { return is.Mint(is.Claims("regbridge", time.Now(), 10*time.Minute)) }
	accessToken := func() string { return as.JWT(authtest.Token{}) }
	login := func(when, user, tok string) {
		t.Helper()
		if code, body := tokenStatus(t, url, user, tok); code != http.StatusOK {
			t.Fatalf("%s: status %d %v", when, code, body)
		}
	}
	login("ID token before the outage", "ci", idToken())
	login("access token before the outage", "oauth2", accessToken())
	oidcBefore, asBefore := is.TotalRequests(), as.Count(authtest.PathDiscovery)+as.Count(authtest.PathJWKS)

	down := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "down", http.StatusBadGateway) })
	is.Handle(is.DiscoveryPath(), down)
	is.Handle(is.JWKSPath(), down)
	as.SetFault(authtest.PathDiscovery, authtest.Fault{Status: http.StatusBadGateway})
	as.SetFault(authtest.PathJWKS, authtest.Fault{Status: http.StatusBadGateway})
	rt.reload("SIGHUP")
	if r := rt.srv.LastReload(); !r.OK || r.Source != "SIGHUP" {
		t.Fatalf("reload refused: %+v", rt.srv.LastReload())
	}
	for range 3 { // tokens never seen before: no cached answer helps
		login("ID token after the reload", "ci", idToken())
		login("access token after the reload", "oauth2", accessToken())
	}
	if n := is.TotalRequests(); n != oidcBefore {
		t.Errorf("the OIDC issuer saw %d more requests after the reload, want 0", n-oidcBefore)
	}
	if n := as.Count(authtest.PathDiscovery) + as.Count(authtest.PathJWKS); n != asBefore {
		t.Errorf("the authorization server saw %d more key requests after the reload, want 0", n-asBefore)
	}
}
