package dpop_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/authority/authtest"
	"github.com/regbridge/regbridge/providers/authority/dpop"
)

const (
	tokenURL = "https://auth.example.com/token"
	token    = "the-access-token"
)

var t0 = time.Unix(1_900_000_000, 0)

func newVerifier() *dpop.Verifier {
	clock := func() time.Time { return t0 }
	return &dpop.Verifier{
		Algorithms: dpop.DefaultAlgorithms(),
		Replay:     providers.NewMemoryReplay(1000, clock),
		Now:        clock,
	}
}

func mustKey(t *testing.T, alg string) *authtest.ProofKey {
	t.Helper()
	k, err := authtest.NewProofKey(alg)
	if err != nil {
		t.Fatal(err)
	}
	k.Now = func() time.Time { return t0 }
	return k
}

func set(kv ...any) func(h, c map[string]any) {
	return func(h, c map[string]any) {
		for i := 0; i < len(kv); i += 3 {
			target := c
			if kv[i] == "h" {
				target = h
			}
			name := kv[i+1].(string)
			if kv[i+2] == nil {
				delete(target, name)
			} else {
				target[name] = kv[i+2]
			}
		}
	}
}

func toJSONSerialization(compact string) string {
	p := strings.Split(compact, ".")
	b, _ := json.Marshal(map[string]string{"protected": p[0], "payload": p[1], "signature": p[2]})
	return string(b)
}

func TestVerifyAcceptsAValidProofForEveryDefaultAlgorithm(t *testing.T) {
	for _, alg := range []string{"ES256", "ES384", "EdDSA", "PS256", "RS256"} {
		t.Run(alg, func(t *testing.T) {
			k := mustKey(t, alg)
			p, err := newVerifier().Verify(context.Background(), dpop.Request{
				Proofs: []string{k.Proof("GET", tokenURL, token)}, Method: "GET", URL: tokenURL,
				AccessToken: token, JKT: k.JKT(),
			})
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got, want := p.Thumbprint, authtest.Thumbprint(k.Signer.Public()); got != want {
				t.Errorf("thumbprint = %q, want %q", got, want)
			}
		})
	}
}

// TestVerifyRefusesEveryBrokenProof names one case per RFC 9449 check.
func TestVerifyRefusesEveryBrokenProof(t *testing.T) {
	ctx := context.Background()
	k := mustKey(t, "ES256")
	other := mustKey(t, "ES256")
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rsa1024, _ := rsa.GenerateKey(rand.Reader, 1024)
	weak := &authtest.ProofKey{Signer: rsa1024, Alg: "RS256", Now: k.Now}
	mismatched := &authtest.ProofKey{Signer: p384, Alg: "ES256", Now: k.Now}
	good := k.Proof("GET", tokenURL, token)
	priv := authtest.PublicJWK(k.Signer.Public())
	priv["d"] = "AAAA"
	hs, _ := authtest.SignCompact([]byte("a-shared-secret-of-enough-length"), "HS256",
		map[string]any{"typ": "dpop+jwt", "alg": "HS256", "jwk": map[string]any{"kty": "oct", "k": "YQ"}},
		map[string]any{"jti": "j", "htm": "GET", "htu": tokenURL, "iat": t0.Unix(), "ath": authtest.ATH(token)})
	none, _ := authtest.SignCompact(nil, "none",
		map[string]any{"typ": "dpop+jwt", "alg": "none", "jwk": authtest.PublicJWK(k.Signer.Public())},
		map[string]any{"jti": "j", "htm": "GET", "htu": tokenURL, "iat": t0.Unix(), "ath": authtest.ATH(token)})
	parts := strings.Split(good, ".")
	sig := []byte(parts[2])
	if sig[5] == 'A' {
		sig[5] = 'B'
	} else {
		sig[5] = 'A'
	}
	badSig := parts[0] + "." + parts[1] + "." + string(sig)

	tests := []struct {
		name    string
		proofs  []string
		method  string
		url     string
		jkt     string
		wantSub string
	}{
		{"step 1: no DPoP header is refused", nil, "", "", "", "missing"},
		{"step 1: two DPoP headers are refused", []string{good, k.Proof("GET", tokenURL, token)}, "", "", "", "more than one DPoP header"},
		{"step 1: two comma-joined proofs in one header are refused", []string{good + "," + good}, "", "", "", "more than one proof"},
		{"step 1: the JSON serialization is refused", []string{toJSONSerialization(good)}, "", "", "", "compact"},
		{"step 1: an oversized proof is refused", []string{k.Proof("GET", tokenURL, token, set("c", "pad", strings.Repeat("x", dpop.MaxProofSize)))}, "", "", "", "too large"},
		{"step 2: typ JWT is refused", []string{k.Proof("GET", tokenURL, token, set("h", "typ", "JWT"))}, "", "", "", "typ"},
		{"step 2: a missing typ is refused", []string{k.Proof("GET", tokenURL, token, set("h", "typ", nil))}, "", "", "", "typ"},
		{"step 2: typ in upper case is refused", []string{k.Proof("GET", tokenURL, token, set("h", "typ", "DPOP+JWT"))}, "", "", "", "typ"},
		{"step 2: alg none with an empty signature is refused", []string{none}, "", "", "", "compact"},
		{"step 2: alg none with a signature part is refused", []string{none + "AAAA"}, "", "", "", "alg"},
		{"step 2: alg HS256 is refused", []string{hs}, "", "", "", "alg"},
		{"step 2: a kid header is refused", []string{k.Proof("GET", tokenURL, token, set("h", "kid", "k1"))}, "", "", "", "kid"},
		{"step 2: a jku header is refused", []string{k.Proof("GET", tokenURL, token, set("h", "jku", "https://evil.example/jwks"))}, "", "", "", "jku"},
		{"step 2: a crit header is refused", []string{k.Proof("GET", tokenURL, token, set("h", "crit", []string{"exp"}))}, "", "", "", "crit"},
		{"step 3: a missing jwk is refused", []string{k.Proof("GET", tokenURL, token, set("h", "jwk", nil))}, "", "", "", "jwk"},
		{"step 3: a private key in jwk is refused", []string{k.Proof("GET", tokenURL, token, set("h", "jwk", priv))}, "", "", "", "jwk"},
		{"step 3: a symmetric jwk is refused", []string{k.Proof("GET", tokenURL, token, set("h", "jwk", map[string]any{"kty": "oct", "k": "YWJj"}))}, "", "", "", "jwk"},
		{"step 3: a weak 1024-bit RSA key is refused", []string{weak.Proof("GET", tokenURL, token)}, "", "", "", "key"},
		{"step 3: ES256 with a P-384 key is refused", []string{mismatched.Proof("GET", tokenURL, token)}, "", "", "", "key"},
		{"step 4: a bad signature is refused", []string{badSig}, "", "", "", "signature"},
		{"step 4: a jwk that did not sign the proof is refused", []string{k.Proof("GET", tokenURL, token, set("h", "jwk", authtest.PublicJWK(other.Signer.Public())))}, "", "", "", "signature"},
		{"step 5: a missing jti is refused", []string{k.Proof("GET", tokenURL, token, set("c", "jti", nil))}, "", "", "", "jti"},
		{"step 5: a numeric jti is refused", []string{k.Proof("GET", tokenURL, token, set("c", "jti", 12345))}, "", "", "", "jti"},
		{"step 5: a string iat is refused", []string{k.Proof("GET", tokenURL, token, set("c", "iat", fmt.Sprint(t0.Unix())))}, "", "", "", "iat"},
		{"step 5: a fractional iat is refused", []string{k.Proof("GET", tokenURL, token, set("c", "iat", float64(t0.Unix())+0.5))}, "", "", "", "iat"},
		{"step 5: a huge iat is refused", []string{k.Proof("GET", tokenURL, token, set("c", "iat", 1e30))}, "", "", "", "iat"},
		{"step 6: htm in lower case is refused", []string{k.Proof("get", tokenURL, token)}, "", "", "", "htm"},
		{"step 6: another method is refused", []string{k.Proof("POST", tokenURL, token)}, "", "", "", "htm"},
		{"step 7: htu with http instead of https is refused", []string{k.Proof("GET", "http://auth.example.com/token", token)}, "", "", "", "htu"},
		{"step 7: htu with a query is refused", []string{k.Proof("GET", tokenURL+"?x=1", token)}, "", "", "", "htu"},
		{"step 7: htu with a fragment is refused", []string{k.Proof("GET", tokenURL+"#f", token)}, "", "", "", "htu"},
		{"step 7: htu with a trailing slash is refused", []string{k.Proof("GET", tokenURL+"/", token)}, "", "", "", "htu"},
		{"step 7: htu with dot-segments leading elsewhere is refused", []string{k.Proof("GET", "https://auth.example.com/token/../other", token)}, "", "", "", "htu"},
		{"step 7: htu for another path is refused", []string{k.Proof("GET", "https://auth.example.com/oauth2/token", token)}, "", "", "", "htu"},
		{"step 7: htu for another host (a spoofed Host header) is refused", []string{k.Proof("GET", "https://evil.example.com/token", token)}, "", "", "", "htu"},
		{"step 7: htu with a non-default port is refused", []string{k.Proof("GET", "https://auth.example.com:8443/token", token)}, "", "", "", "htu"},
		{"step 9: a stale iat is refused", []string{k.Proof("GET", tokenURL, token, set("c", "iat", t0.Add(-120*time.Second).Unix()))}, "", "", "", "too old"},
		{"step 9: a future iat is refused", []string{k.Proof("GET", tokenURL, token, set("c", "iat", t0.Add(30*time.Second).Unix()))}, "", "", "", "future"},
		{"step 9: a missing iat is refused", []string{k.Proof("GET", tokenURL, token, set("c", "iat", nil))}, "", "", "", "iat"},
		{"step 11: a missing ath is refused", []string{k.Proof("GET", tokenURL, token, set("c", "ath", nil))}, "", "", "", "ath"},
		{"step 11: the ath of another token is refused", []string{k.Proof("GET", tokenURL, "another-token")}, "", "", "", "ath"},
		{"step 11: an ath with padding is refused", []string{k.Proof("GET", tokenURL, token, set("c", "ath", authtest.ATH(token)+"="))}, "", "", "", "ath"},
		{"step 11: a proof key whose thumbprint is not cnf.jkt is refused", []string{other.Proof("GET", tokenURL, token)}, "", "", k.JKT(), "cnf.jkt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method, url := "GET", tokenURL
			if tt.method != "" {
				method = tt.method
			}
			if tt.url != "" {
				url = tt.url
			}
			_, err := newVerifier().Verify(ctx, dpop.Request{Proofs: tt.proofs, Method: method, URL: url, AccessToken: token, JKT: tt.jkt})
			var de *dpop.Error
			if !errors.As(err, &de) {
				t.Fatalf("Verify err = %v, want *dpop.Error", err)
			}
			if de.Code != dpop.CodeInvalidProof {
				t.Errorf("code = %q, want %q", de.Code, dpop.CodeInvalidProof)
			}
			if !strings.Contains(de.Error(), tt.wantSub) {
				t.Errorf("error %q does not mention %q", de.Error(), tt.wantSub)
			}
		})
	}
}

func TestVerifyAcceptsNormalizedEqualHTU(t *testing.T) {
	k := mustKey(t, "ES256")
	for _, htu := range []string{
		"HTTPS://Auth.Example.COM/token",
		"https://auth.example.com:443/token",
		"https://auth.example.com/a/../token",
		"https://auth.example.com/./token",
		"https://auth.example.com/%74oken",
	} {
		t.Run(htu, func(t *testing.T) {
			_, err := newVerifier().Verify(context.Background(), dpop.Request{
				Proofs: []string{k.Proof("GET", htu, token)}, Method: "GET", URL: tokenURL, AccessToken: token,
			})
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
		})
	}
}

func TestReplayedJTIIsRefusedAtTheSameHTU(t *testing.T) {
	v := newVerifier()
	k := mustKey(t, "ES256")
	proof := k.Proof("GET", tokenURL, token)
	req := dpop.Request{Proofs: []string{proof}, Method: "GET", URL: tokenURL, AccessToken: token}
	if _, err := v.Verify(context.Background(), req); err != nil {
		t.Fatalf("first use: %v", err)
	}
	_, err := v.Verify(context.Background(), req)
	var de *dpop.Error
	if !errors.As(err, &de) || !strings.Contains(de.Description, "already used") {
		t.Fatalf("replay: err = %v, want jti already used", err)
	}
	// The same jti at another htu is a different replay key (RFC 9449 §11.1).
	other := k.Proof("POST", "https://auth.example.com/oauth2/token", "", set("c", "jti", "fixed"))
	first := k.Proof("GET", tokenURL, token, set("c", "jti", "fixed"))
	if _, err := v.Verify(context.Background(), dpop.Request{Proofs: []string{first}, Method: "GET", URL: tokenURL, AccessToken: token}); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), dpop.Request{Proofs: []string{other}, Method: "POST", URL: "https://auth.example.com/oauth2/token"}); err != nil {
		t.Fatalf("same jti at another htu: %v", err)
	}
}

func TestRefusedProofDoesNotUseUpItsJTI(t *testing.T) {
	v := newVerifier()
	k := mustKey(t, "ES256")
	proof := k.Proof("GET", tokenURL, token)
	if _, err := v.Verify(context.Background(), dpop.Request{Proofs: []string{proof}, Method: "GET", URL: tokenURL, AccessToken: "stolen"}); err == nil {
		t.Fatal("wrong token accepted")
	}
	if _, err := v.Verify(context.Background(), dpop.Request{Proofs: []string{proof}, Method: "GET", URL: tokenURL, AccessToken: token}); err != nil {
		t.Fatalf("proof refused after an unrelated failure: %v", err)
	}
}

func TestTokenEndpointProofNeedsNoATH(t *testing.T) {
	k := mustKey(t, "EdDSA")
	_, err := newVerifier().Verify(context.Background(), dpop.Request{
		Proofs: []string{k.Proof("POST", tokenURL, "")}, Method: "POST", URL: tokenURL, JKT: k.JKT(),
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestThumbprintIgnoresJWKMemberOrderAndExtraMembers(t *testing.T) {
	k := mustKey(t, "ES256")
	jwk := authtest.PublicJWK(k.Signer.Public())
	jwk["use"], jwk["alg"] = "sig", "ES256"
	_, err := newVerifier().Verify(context.Background(), dpop.Request{
		Proofs: []string{k.Proof("GET", tokenURL, token, set("h", "jwk", jwk))}, Method: "GET", URL: tokenURL,
		AccessToken: token, JKT: k.JKT(),
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestServerNonces(t *testing.T) {
	now := t0
	clock := func() time.Time { return now }
	nonces, err := dpop.NewNonces([]byte(strings.Repeat("k", 32)), time.Minute, clock)
	if err != nil {
		t.Fatal(err)
	}
	foreign, _ := dpop.NewNonces([]byte(strings.Repeat("x", 32)), time.Minute, clock)
	k := mustKey(t, "ES256")
	k.Now = clock
	verify := func(proof string) error {
		v := newVerifier()
		v.Nonces, v.Now = nonces, clock
		_, err := v.Verify(context.Background(), dpop.Request{Proofs: []string{proof}, Method: "GET", URL: tokenURL, AccessToken: token})
		return err
	}
	var de *dpop.Error
	err = verify(k.Proof("GET", tokenURL, token))
	if !errors.As(err, &de) || de.Code != dpop.CodeUseNonce || !nonces.Valid(de.Nonce) {
		t.Fatalf("no nonce: err = %v, want use_dpop_nonce with a valid fresh nonce", err)
	}
	if err := verify(k.Proof("GET", tokenURL, token, set("c", "nonce", de.Nonce))); err != nil {
		t.Fatalf("with the issued nonce: %v", err)
	}
	if err := verify(k.Proof("GET", tokenURL, token, set("c", "nonce", foreign.Issue()))); !errors.As(err, &de) || de.Code != dpop.CodeUseNonce {
		t.Fatalf("forged nonce: err = %v, want use_dpop_nonce", err)
	}
	stale := nonces.Issue()
	now = now.Add(2 * time.Minute)
	if err := verify(k.Proof("GET", tokenURL, token, set("c", "nonce", stale))); !errors.As(err, &de) || de.Code != dpop.CodeUseNonce {
		t.Fatalf("expired nonce: err = %v, want use_dpop_nonce", err)
	}
	// Every refusal carries a fresh nonce when nonces are on.
	if err := verify(k.Proof("get", tokenURL, token, set("c", "nonce", nonces.Issue()))); !errors.As(err, &de) || de.Code != dpop.CodeInvalidProof || de.Nonce == "" {
		t.Fatalf("invalid proof with nonces on: err = %v, want invalid_dpop_proof with a nonce", err)
	}
}

func TestParseRefusesNonAsymmetricAllowList(t *testing.T) {
	k := mustKey(t, "ES256")
	if _, err := dpop.Parse(k.Proof("GET", tokenURL, ""), []jose.SignatureAlgorithm{jose.ES256, jose.HS256}); err == nil {
		t.Fatal("allow-list with HS256 accepted")
	}
}

func TestReplayStoreFailureIsNotAProofError(t *testing.T) {
	v := newVerifier()
	v.Replay = providers.NewMemoryReplay(0, v.Now)
	k := mustKey(t, "ES256")
	_, err := v.Verify(context.Background(), dpop.Request{Proofs: []string{k.Proof("GET", tokenURL, token)}, Method: "GET", URL: tokenURL, AccessToken: token})
	if !errors.Is(err, providers.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
}
