package authority

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/authority/authtest"
	"github.com/regbridge/regbridge/providers/internal/jwks"
)

const publicTokenURL = "https://auth.example.com/token"

// jwtConfig is a JWT-mode configuration against srv.
func jwtConfig(srv *authtest.Server) Config {
	return Config{
		Issuer:     srv.Issuer,
		Audiences:  []string{"registry"},
		Keys:       jwks.Keys{JWKSURI: srv.URL + authtest.PathJWKS},
		ClaimsPath: "ext",
	}
}

// introspectionConfig is an introspection-mode configuration against srv.
func introspectionConfig(srv *authtest.Server) Config {
	return Config{
		Issuer:           srv.Issuer,
		Audiences:        []string{"registry"},
		Validation:       ValidationIntrospection,
		IntrospectionURL: srv.URL + authtest.PathIntrospect,
		ClientID:         srv.ClientID,
		ClientSecret:     providers.Secret(srv.ClientSecret),
	}
}

func newProvider(t *testing.T, cfg Config) *Provider {
	t.Helper()
	p, err := New("authority", cfg, providers.Deps{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return p
}

func proofKey(t *testing.T) *authtest.ProofKey {
	t.Helper()
	k, err := authtest.NewProofKey("ES256")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// dpopCred is an `Authorization: DPoP` credential with the given proofs.
func dpopCred(token string, proofs ...string) providers.Credential {
	h := http.Header{}
	for _, p := range proofs {
		h.Add("DPoP", p)
	}
	return providers.Credential{Scheme: providers.SchemeDPoP, Secret: providers.Secret(token),
		Request: providers.RequestInfo{Method: http.MethodGet, URL: publicTokenURL, RemoteAddr: "192.0.2.10:5555", Header: h}}
}

func bearerCred(token string) providers.Credential {
	return providers.Credential{Scheme: providers.SchemeBearer, Secret: providers.Secret(token),
		Request: providers.RequestInfo{Method: http.MethodGet, URL: publicTokenURL, RemoteAddr: "192.0.2.10:5555", Header: http.Header{}}}
}

func basicCred(token string) providers.Credential {
	return providers.Credential{Scheme: providers.SchemeBasic, Username: "oauth2", Secret: providers.Secret(token),
		Request: providers.RequestInfo{Method: http.MethodGet, URL: publicTokenURL, RemoteAddr: "192.0.2.10:5555", Header: http.Header{}}}
}

// check runs the full per-request path as the bridge does.
func check(p *Provider, cred providers.Credential) (providers.Identity, error) {
	id, err := p.Authenticate(context.Background(), cred)
	if err != nil {
		return id, err
	}
	return id, p.CheckBinding(context.Background(), cred, id)
}

func challengeOf(t *testing.T, err error) *providers.ChallengeError {
	t.Helper()
	var ch *providers.ChallengeError
	if !errors.As(err, &ch) {
		t.Fatalf("err = %v, want a *providers.ChallengeError", err)
	}
	return ch
}

func param(ch *providers.ChallengeError, name string) string {
	for _, p := range ch.Params {
		if p[0] == name {
			return p[1]
		}
	}
	return ""
}

func selfSignedCert(t *testing.T, cn string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ioCopy(b *strings.Builder, resp *http.Response) (int64, error) {
	defer resp.Body.Close()
	return io.Copy(b, resp.Body)
}
