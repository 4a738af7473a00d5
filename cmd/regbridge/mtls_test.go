package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers/authority/authtest"
)

// testCert issues a certificate for key, signed by parent (self-signed when
// parent is nil).
func testCert(t *testing.T, cn string, key *ecdsa.PrivateKey, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, isCA bool) *x509.Certificate {
	t.Helper()
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  isCA,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c
}

func newECKey(t *testing.T) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pemFiles(t *testing.T, dir, name string, cert *x509.Certificate, key *ecdsa.PrivateKey) {
	t.Helper()
	os.WriteFile(filepath.Join(dir, name+".crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600)
	if key != nil {
		der, _ := x509.MarshalPKCS8PrivateKey(key)
		os.WriteFile(filepath.Join(dir, name+".key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	}
}

func TestMutualTLSBindsTheTokenToTheConnectionCertificate(t *testing.T) {
	as := authtest.NewServer(t)
	caKey, aKey, bKey, srvKey := newECKey(t), newECKey(t), newECKey(t), newECKey(t)
	ca := testCert(t, "client ca", caKey, nil, nil, true)
	certA := testCert(t, "client a", aKey, ca, caKey, false)
	certB := testCert(t, "client b", bKey, ca, caKey, false)
	srvCert := testCert(t, "127.0.0.1", srvKey, nil, nil, false)

	cfgText := `services: [{name: registry.example.com, issuer: regbridge}]
keys: [{private_key: key.pem, certificate: cert.pem}]
policy: policy.yaml
tls: {certificate: server.crt, private_key: server.key, client_ca: ca.crt}
providers:
  - id: authority
    type: authority
    issuer: "` + as.Issuer + `"
    audiences: [registry]
    validation: jwt
    discovery: true
    sender_constraint: mtls
`
	_, rt, dir := startBridge(t, map[string]string{
		"config.yaml": cfgText,
		"policy.yaml": "version: 1\nrules:\n  - {id: svc, who: [authority], grant: [{repository: \"svc/**\", actions: [pull, push]}]}\n",
		// startBridge loads the config before TLS files exist; they are
		// written below and read when the listener is configured.
	}, time.Now)
	pemFiles(t, dir, "ca", ca, nil)
	pemFiles(t, dir, "server", srvCert, srvKey)
	tc, err := tlsConfig(TLSConfig{Certificate: filepath.Join(dir, "server.crt"), PrivateKey: filepath.Join(dir, "server.key"), ClientCA: filepath.Join(dir, "ca.crt")})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(rt.srv)
	ts.TLS = tc
	ts.StartTLS()
	defer ts.Close()

	roots := x509.NewCertPool()
	roots.AddCert(srvCert)
	client := func(cert *x509.Certificate, key *ecdsa.PrivateKey) *http.Client {
		cfg := &tls.Config{RootCAs: roots}
		if cert != nil {
			cfg.Certificates = []tls.Certificate{{Certificate: [][]byte{cert.Raw}, PrivateKey: key}}
		}
		return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 10 * time.Second}
	}
	tok := as.JWT(authtest.Token{X5T: authtest.CertThumbprint(certA.Raw)})
	url := ts.URL + "/token?service=registry.example.com&scope=repository:svc/app:push,pull"
	call := func(c *http.Client, scheme string) int {
		req, _ := http.NewRequest("GET", url, nil)
		if scheme == "Basic" {
			req.SetBasicAuth("svc", tok)
		} else {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	cases := []struct {
		name   string
		client *http.Client
		scheme string
		want   int
	}{
		{"the bound certificate passes", client(certA, aKey), "Bearer", 200},
		{"no client certificate is refused", client(nil, nil), "Bearer", 401},
		{"another certificate from the same CA is refused", client(certB, bKey), "Bearer", 401},
		{"the bound token as a Basic password is refused (downgrade)", client(certA, aKey), "Basic", 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := call(tc.client, tc.scheme); got != tc.want {
				t.Errorf("status %d, want %d", got, tc.want)
			}
		})
	}
	if !strings.HasPrefix(ts.URL, "https://") {
		t.Fatal("not TLS")
	}
}
