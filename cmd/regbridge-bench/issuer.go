package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// soakAudience is the audience of the soak run's ID tokens.
const soakAudience = "regbridge-bench"

// fakeIssuer is an OpenID issuer on loopback for the soak run: discovery and
// a JWKS with one ES256 key, and ID tokens shaped like a CI job's.
type fakeIssuer struct {
	URL    string
	srv    *http.Server
	signer jose.Signer
	serial atomic.Uint64
}

// startIssuer serves discovery and the JWKS on a free loopback port.
func startIssuer() (*fakeIssuer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	const kid = "bench-1"
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	is := &fakeIssuer{URL: "http://" + ln.Addr().String(), signer: signer}
	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &key.PublicKey, KeyID: kid, Algorithm: "ES256", Use: "sig"},
	}})
	if err != nil {
		return nil, err
	}
	disc, err := json.Marshal(map[string]any{"issuer": is.URL, "jwks_uri": is.URL + "/keys",
		"id_token_signing_alg_values_supported": []string{"ES256"}})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	serve := func(body []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write(body)
		}
	}
	mux.Handle("GET /.well-known/openid-configuration", serve(disc))
	mux.Handle("GET /keys", serve(jwks))
	is.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go is.srv.Serve(ln)
	return is, nil
}

// mint returns a fresh ID token for CI job n, valid for an hour, with the
// claims a GitHub Actions token carries.
func (is *fakeIssuer) mint(n int) (string, error) {
	now := time.Now()
	job := strconv.Itoa(n)
	repo := "bench/app" + strconv.Itoa(n%50)
	claims := map[string]any{
		"iss": is.URL, "aud": soakAudience, "sub": "repo:" + repo + ":ref:refs/heads/main",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"jti":        fmt.Sprintf("bench-%d-%d", now.UnixNano(), is.serial.Add(1)),
		"repository": repo, "repository_owner": "bench", "repository_id": job, "repository_owner_id": "1000",
		"repository_visibility": "private", "ref": "refs/heads/main", "ref_type": "branch", "ref_protected": "true",
		"sha": fmt.Sprintf("%040d", n), "actor": "builder" + strconv.Itoa(n%20), "actor_id": strconv.Itoa(n % 20),
		"workflow": "build", "workflow_ref": repo + "/.github/workflows/build.yml@refs/heads/main",
		"workflow_sha": fmt.Sprintf("%040d", n), "job_workflow_ref": repo + "/.github/workflows/build.yml@refs/heads/main",
		"event_name": "push", "run_id": job, "run_number": job, "run_attempt": "1", "runner_environment": "github-hosted",
		"head_ref": "", "base_ref": "", "environment": "production",
	}
	body, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	sig, err := is.signer.Sign(body)
	if err != nil {
		return "", err
	}
	return sig.CompactSerialize()
}

func (is *fakeIssuer) close() { is.srv.Close() }
