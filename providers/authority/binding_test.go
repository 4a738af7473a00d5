package authority

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/authority/authtest"
)

func TestSenderConstraintDowngradesAreRefused(t *testing.T) {
	srv := authtest.NewServer(t)
	k := proofKey(t)
	cert := selfSignedCert(t, "client")
	bound := srv.JWT(authtest.Token{JKT: k.JKT()})
	mtlsBound := srv.JWT(authtest.Token{X5T: authtest.CertThumbprint(cert.Raw)})
	unbound := srv.JWT(authtest.Token{})
	withCert := func(c providers.Credential) providers.Credential {
		c.Request.PeerCertificates = []*x509.Certificate{cert}
		return c
	}
	tests := []struct {
		name       string
		constraint string
		cred       providers.Credential
		want       string
	}{
		{"a DPoP-bound token as a Basic password is refused", ConstraintNone, basicCred(bound), "password"},
		{"a DPoP-bound token as Bearer is refused", ConstraintNone, bearerCred(bound), "Bearer"},
		{"a certificate-bound token as a Basic password is refused even with the certificate", ConstraintNone, withCert(basicCred(mtlsBound)), "password"},
		{"the DPoP scheme with an unbound token is refused", ConstraintNone, dpopCred(unbound, k.Proof("GET", publicTokenURL, unbound)), "not DPoP-bound"},
		{"sender_constraint dpop refuses an unbound Bearer token", ConstraintDPoP, bearerCred(unbound), "requires DPoP"},
		{"sender_constraint dpop refuses a certificate-bound token", ConstraintDPoP, withCert(bearerCred(mtlsBound)), "requires DPoP"},
		{"sender_constraint mtls refuses a DPoP-bound token", ConstraintMTLS, dpopCred(bound, k.Proof("GET", publicTokenURL, bound)), "requires mTLS"},
		{"sender_constraint any refuses an unbound Bearer token", ConstraintAny, bearerCred(unbound), "not sender-constrained"},
		{"sender_constraint any refuses an unbound Basic password", ConstraintAny, basicCred(unbound), "not sender-constrained"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := jwtConfig(srv)
			cfg.SenderConstraint = tt.constraint
			_, err := check(newProvider(t, cfg), tt.cred)
			if !errors.Is(err, providers.ErrInvalidCredential) {
				t.Fatalf("err = %v, want ErrInvalidCredential", err)
			}
			ch := challengeOf(t, err)
			if param(ch, "error") != "invalid_token" || !strings.Contains(param(ch, "error_description"), tt.want) {
				t.Errorf("challenge %v, want invalid_token mentioning %q", ch.Params, tt.want)
			}
		})
	}
}

func TestUnboundTokensPassWhenSenderConstraintIsNone(t *testing.T) {
	srv := authtest.NewServer(t)
	cfg := jwtConfig(srv)
	cfg.SenderConstraint = ConstraintNone
	p := newProvider(t, cfg)
	tok := srv.JWT(authtest.Token{})
	for _, c := range []providers.Credential{bearerCred(tok), basicCred(tok)} {
		if _, err := check(p, c); err != nil {
			t.Errorf("%s: %v", c.Scheme, err)
		}
	}
}

// TestDowngradeRefusalHoldsOnCachedIdentities replays what the bridge does
// on a cache hit: the identity from an earlier DPoP request, a later
// request presenting the same token as Bearer.
func TestDowngradeRefusalHoldsOnCachedIdentities(t *testing.T) {
	srv := authtest.NewServer(t)
	k := proofKey(t)
	p := newProvider(t, jwtConfig(srv))
	tok := srv.JWT(authtest.Token{JKT: k.JKT()})
	id, err := check(p, dpopCred(tok, k.Proof("GET", publicTokenURL, tok)))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []providers.Credential{bearerCred(tok), basicCred(tok), dpopCred(tok)} {
		if err := p.CheckBinding(context.Background(), c, id); !errors.Is(err, providers.ErrInvalidCredential) {
			t.Errorf("cached identity, scheme %s without proof: err = %v, want refusal", c.Scheme, err)
		}
	}
	// A stolen token with the attacker's own valid proof.
	thief := proofKey(t)
	if err := p.CheckBinding(context.Background(), dpopCred(tok, thief.Proof("GET", publicTokenURL, tok)), id); err == nil {
		t.Error("proof from another key accepted for a cached identity")
	}
}

func TestDPoPFailuresAnswerWithADPoPChallenge(t *testing.T) {
	srv := authtest.NewServer(t)
	k := proofKey(t)
	p := newProvider(t, jwtConfig(srv))
	tok := srv.JWT(authtest.Token{JKT: k.JKT()})
	id, err := p.Authenticate(context.Background(), dpopCred(tok))
	if err != nil {
		t.Fatal(err)
	}
	err = p.CheckBinding(context.Background(), dpopCred(tok, k.Proof("POST", publicTokenURL, tok)), id)
	ch := challengeOf(t, err)
	if ch.Scheme != "DPoP" || param(ch, "error") != "invalid_dpop_proof" || param(ch, "error_description") == "" {
		t.Fatalf("challenge %s %v", ch.Scheme, ch.Params)
	}
	if got := param(ch, "algs"); got != "ES256 ES384 EdDSA PS256 RS256" {
		t.Errorf("algs = %q", got)
	}
	if ch.Status != 0 {
		t.Errorf("status %d at a resource, want the 401 of the kind", ch.Status)
	}
	// Two DPoP header fields.
	err = p.CheckBinding(context.Background(), dpopCred(tok, k.Proof("GET", publicTokenURL, tok), k.Proof("GET", publicTokenURL, tok)), id)
	if ch := challengeOf(t, err); param(ch, "error") != "invalid_dpop_proof" {
		t.Errorf("two headers: %v", ch.Params)
	}
	// A replayed proof.
	proof := k.Proof("GET", publicTokenURL, tok)
	if err := p.CheckBinding(context.Background(), dpopCred(tok, proof), id); err != nil {
		t.Fatal(err)
	}
	if err := p.CheckBinding(context.Background(), dpopCred(tok, proof), id); err == nil {
		t.Error("replayed proof accepted")
	}
}

func TestDPoPNonceChallengeCarriesANonceHeader(t *testing.T) {
	srv := authtest.NewServer(t)
	k := proofKey(t)
	cfg := jwtConfig(srv)
	cfg.DPoP.Nonce = true
	p := newProvider(t, cfg)
	tok := srv.JWT(authtest.Token{JKT: k.JKT()})
	id, err := p.Authenticate(context.Background(), dpopCred(tok))
	if err != nil {
		t.Fatal(err)
	}
	ch := challengeOf(t, p.CheckBinding(context.Background(), dpopCred(tok, k.Proof("GET", publicTokenURL, tok)), id))
	nonce := ch.Header["DPoP-Nonce"]
	if param(ch, "error") != "use_dpop_nonce" || nonce == "" {
		t.Fatalf("challenge %v header %v, want use_dpop_nonce with DPoP-Nonce", ch.Params, ch.Header)
	}
	withNonce := k.Proof("GET", publicTokenURL, tok, func(_, c map[string]any) { c["nonce"] = nonce })
	if err := p.CheckBinding(context.Background(), dpopCred(tok, withNonce), id); err != nil {
		t.Fatalf("proof with the nonce: %v", err)
	}
}

func TestTokenExchangeChecksTheProofWithoutATH(t *testing.T) {
	srv := authtest.NewServer(t)
	k := proofKey(t)
	p := newProvider(t, jwtConfig(srv))
	tok := srv.JWT(authtest.Token{JKT: k.JKT()})
	exch := func(tokenType string, proofs ...string) providers.Credential {
		c := dpopCred(tok, proofs...)
		c.Scheme, c.TokenType = providers.SchemeExchange, tokenType
		c.Request.Method, c.Request.URL = http.MethodPost, "https://auth.example.com/oauth2/token"
		return c
	}
	if _, err := check(p, exch(TokenTypeAccessToken, k.Proof("POST", "https://auth.example.com/oauth2/token", ""))); err != nil {
		t.Fatalf("exchange with a proof: %v", err)
	}
	_, err := check(p, exch(TokenTypeAccessToken))
	ch := challengeOf(t, err)
	if param(ch, "error") != "invalid_dpop_proof" || ch.Status != http.StatusBadRequest {
		t.Errorf("exchange without a proof: %v status %d, want invalid_dpop_proof 400", ch.Params, ch.Status)
	}
	if _, err := check(p, exch("urn:ietf:params:oauth:token-type:id_token", k.Proof("POST", "https://auth.example.com/oauth2/token", ""))); !errors.Is(err, providers.ErrInvalidCredential) {
		t.Errorf("id_token subject type: err = %v, want refusal", err)
	}
}

func TestMTLSBinding(t *testing.T) {
	srv := authtest.NewServer(t)
	cert, other := selfSignedCert(t, "client"), selfSignedCert(t, "other")
	tok := srv.JWT(authtest.Token{X5T: authtest.CertThumbprint(cert.Raw)})
	rfc9440 := ":" + base64.StdEncoding.EncodeToString(cert.Raw) + ":"
	escapedPEM := url.QueryEscape(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})))
	cred := func(remote string, peer *x509.Certificate, header string) providers.Credential {
		c := bearerCred(tok)
		c.Request.RemoteAddr = remote
		if peer != nil {
			c.Request.PeerCertificates = []*x509.Certificate{peer}
		}
		if header != "" {
			c.Request.Header.Set("Client-Cert", header)
		}
		return c
	}
	tests := []struct {
		name string
		cred providers.Credential
		ok   bool
	}{
		{"the matching certificate on the connection passes", cred("192.0.2.10:1", cert, ""), true},
		{"another certificate on the connection fails", cred("192.0.2.10:1", other, ""), false},
		{"no certificate fails", cred("192.0.2.10:1", nil, ""), false},
		{"a forged Client-Cert header from an untrusted address fails", cred("192.0.2.10:1", nil, rfc9440), false},
		{"a Client-Cert header from an untrusted address fails even with the right connection certificate", cred("192.0.2.10:1", cert, rfc9440), false},
		{"an RFC 9440 header from a trusted proxy passes", cred("10.0.0.5:1", nil, rfc9440), true},
		{"a URL-encoded PEM header from a trusted proxy passes", cred("10.0.0.5:1", nil, escapedPEM), true},
		{"a trusted proxy's other certificate fails", cred("10.0.0.5:1", nil, ":"+base64.StdEncoding.EncodeToString(other.Raw)+":"), false},
		{"a trusted proxy without the header fails (its own TLS certificate is not the client's)", cred("10.0.0.5:1", cert, ""), false},
	}
	cfg := jwtConfig(srv)
	cfg.SenderConstraint = ConstraintMTLS
	cfg.MTLS = MTLSConfig{TrustedProxies: []string{"10.0.0.0/8"}, ClientCertHeader: "Client-Cert"}
	p := newProvider(t, cfg)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := check(p, tt.cred)
			if tt.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tt.ok {
				if !errors.Is(err, providers.ErrInvalidCredential) {
					t.Fatalf("err = %v, want ErrInvalidCredential", err)
				}
				if ch := challengeOf(t, err); ch.Scheme != "Bearer" || param(ch, "error") != "invalid_token" {
					t.Errorf("challenge %s %v", ch.Scheme, ch.Params)
				}
			}
		})
	}
}
