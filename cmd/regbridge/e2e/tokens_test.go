package e2e

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// signer signs registry tokens the way a token server would; the tests use
// one with regbridge's own key (read from the files keygen wrote) to check
// what the registries themselves accept, and one with an unrelated key.
type signer struct {
	key  crypto.Signer
	alg  jose.SignatureAlgorithm
	cert []byte // DER, for the x5c header
	kid  string // for the kid header (jwks-only registries)
}

// bridgeSigner loads regbridge's key and certificate; kid is the bridge's
// JWKS kid when the registry is jwks-only.
func bridgeSigner(t *testing.T, b *Bridge, jwksOnly bool) *signer {
	t.Helper()
	s := &signer{key: readPrivateKey(t, b.Key), cert: readCertDER(t, b.Cert)}
	s.alg = algFor(t, s.key)
	if jwksOnly {
		var set jose.JSONWebKeySet
		raw, err := os.ReadFile(b.JWKSFile(t))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &set); err != nil || len(set.Keys) == 0 {
			t.Fatalf("regbridge jwks: %v", err)
		}
		s.kid = set.Keys[0].KeyID
	}
	return s
}

// strangerSigner is a fresh P-256 key with a self-signed certificate that no
// registry trusts.
func strangerSigner(t *testing.T, jwksOnly bool) *signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7),
		Subject:      pkix.Name{CommonName: "stranger"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	if err != nil {
		t.Fatal(err)
	}
	s := &signer{key: k, alg: jose.ES256, cert: der}
	if jwksOnly {
		s.kid = "stranger-kid"
	}
	return s
}

// sign returns a compact JWS over claims, with header x5c, or kid when the
// signer has one (unless forceX5C).
func (s *signer) sign(t *testing.T, claims map[string]any, forceX5C bool) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if s.kid != "" && !forceX5C {
		opts = opts.WithHeader("kid", s.kid)
	} else {
		opts = opts.WithHeader("x5c", []string{base64.StdEncoding.EncodeToString(s.cert)})
	}
	js, err := jose.NewSigner(jose.SigningKey{Algorithm: s.alg, Key: s.key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := js.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func readPrivateKey(t *testing.T, path string) crypto.Signer {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(raw)
	if blk == nil {
		t.Fatalf("%s: no PEM block", path)
	}
	var k any
	switch blk.Type {
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(blk.Bytes)
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(blk.Bytes)
	default:
		k, err = x509.ParsePKCS8PrivateKey(blk.Bytes)
	}
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		t.Fatalf("%s: %T is not a signer", path, k)
	}
	return s
}

func readCertDER(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(raw)
	if blk == nil || blk.Type != "CERTIFICATE" {
		t.Fatalf("%s: no CERTIFICATE block", path)
	}
	return blk.Bytes
}

func algFor(t *testing.T, k crypto.Signer) jose.SignatureAlgorithm {
	t.Helper()
	switch pub := k.Public().(type) {
	case *ecdsa.PublicKey:
		if pub.Curve == elliptic.P256() {
			return jose.ES256
		}
	case *rsa.PublicKey:
		return jose.RS256
	}
	t.Fatalf("key type %T not covered by these tests", k.Public())
	return ""
}

// registryAnswer is what the registry said to one request.
type registryAnswer struct {
	code      int
	challenge string // WWW-Authenticate
	body      string
}

// registryDo sends a request to the registry with a bearer token (none when
// empty).
func registryDo(t *testing.T, r *Registry, method, path, token string) registryAnswer {
	t.Helper()
	req, err := http.NewRequest(method, "http://127.0.0.1:"+itoa(r.Port)+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = r.Host
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	return registryAnswer{code: resp.StatusCode, challenge: resp.Header.Get("WWW-Authenticate"), body: string(body)}
}

// Expected outcomes of a token check.
const (
	accepted         = "accepted"           // token verified and sufficient (404 NAME_UNKNOWN for an empty repository)
	invalidToken     = "invalid_token"      // 401 error="invalid_token"
	insufficient     = "insufficient_scope" // 401 error="insufficient_scope"
	rejectedNoReason = "rejected"           // 401, whatever the error parameter
)

// checkAnswer compares a registry answer with an expected outcome.
func checkAnswer(t *testing.T, a registryAnswer, want string) {
	t.Helper()
	switch want {
	case accepted:
		if a.code == http.StatusUnauthorized || a.code == http.StatusForbidden {
			t.Fatalf("want the token accepted, got %d %s %s", a.code, a.challenge, a.body)
		}
	case invalidToken, insufficient:
		if a.code != http.StatusUnauthorized || !strings.Contains(a.challenge, `error="`+want+`"`) {
			t.Fatalf("want 401 with error=%q, got %d %q %s", want, a.code, a.challenge, a.body)
		}
	case rejectedNoReason:
		if a.code != http.StatusUnauthorized {
			t.Fatalf("want 401, got %d %q %s", a.code, a.challenge, a.body)
		}
	default:
		t.Fatalf("unknown outcome %q", want)
	}
}
