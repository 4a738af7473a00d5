package authority

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/authority/authtest"
)

func TestIntrospectionAcceptsAnActiveOpaqueToken(t *testing.T) {
	srv := authtest.NewServer(t)
	k := proofKey(t)
	p := newProvider(t, introspectionConfig(srv))
	tok := srv.Opaque(authtest.Token{JKT: k.JKT(), Extra: map[string]any{"stellaops:plan": "community"}})
	id, err := check(p, dpopCred(tok, k.Proof("GET", publicTokenURL, tok)))
	if err != nil {
		t.Fatal(err)
	}
	if id.Subject != "service-a" || id.Claims["stellaops:plan"] != "community" || id.Expiry.IsZero() {
		t.Errorf("identity = %+v", id)
	}
	if _, ok := id.Claims["active"]; ok {
		t.Error("the active member leaked into the claims")
	}
}

func TestIntrospectionRefusals(t *testing.T) {
	srv := authtest.NewServer(t)
	k := proofKey(t)
	tests := []struct {
		name  string
		fault authtest.Fault
		tok   func() string
		kind  error
	}{
		{"active as the string \"true\" is refused", authtest.Fault{Status: 200, Body: `{"active":"true","sub":"a","scope":"registry.token.issue"}`}, nil, providers.ErrInvalidCredential},
		{"active 1 is refused", authtest.Fault{Status: 200, Body: `{"active":1,"sub":"a","scope":"registry.token.issue"}`}, nil, providers.ErrInvalidCredential},
		{"an inactive token is refused", authtest.Fault{}, func() string { return "unknown-token" }, providers.ErrInvalidCredential},
		{"a revoked token is refused", authtest.Fault{}, func() string {
			tok := srv.Opaque(authtest.Token{JKT: k.JKT()})
			srv.Revoke(tok)
			return tok
		}, providers.ErrInvalidCredential},
		{"active with a past exp is refused", authtest.Fault{Status: 200, Body: `{"active":true,"sub":"a","scope":"registry.token.issue","exp":1000}`}, nil, providers.ErrInvalidCredential},
		{"active with another issuer is refused", authtest.Fault{Status: 200, Body: `{"active":true,"sub":"a","scope":"registry.token.issue","iss":"https://evil.example/"}`}, nil, providers.ErrInvalidCredential},
		{"active with another audience is refused", authtest.Fault{Status: 200, Body: `{"active":true,"sub":"a","scope":"registry.token.issue","aud":"other"}`}, nil, providers.ErrInvalidCredential},
		{"active with registry.token.issue.admin only is refused", authtest.Fault{Status: 200, Body: `{"active":true,"sub":"a","scope":"registry.token.issue.admin"}`}, nil, providers.ErrInvalidCredential},
		{"a duplicate active member is refused", authtest.Fault{Status: 200, Body: `{"active":false,"active":true,"sub":"a","scope":"registry.token.issue"}`}, nil, providers.ErrUnavailable},
		{"a 500 is unavailable, not a rejection", authtest.Fault{Status: 500}, nil, providers.ErrUnavailable},
		{"a 503 is unavailable", authtest.Fault{Status: 503}, nil, providers.ErrUnavailable},
		{"a 401 for the bridge's own client is unavailable", authtest.Fault{Status: 401}, nil, providers.ErrUnavailable},
		{"a non-JSON body is unavailable", authtest.Fault{Status: 200, Body: "<html>"}, nil, providers.ErrUnavailable},
		{"a response without active is unavailable", authtest.Fault{Status: 200, Body: `{"sub":"a"}`}, nil, providers.ErrUnavailable},
		{"a redirect is not followed and is unavailable", authtest.Fault{Status: 302}, nil, providers.ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.SetFault(authtest.PathIntrospect, tt.fault)
			defer srv.SetFault(authtest.PathIntrospect, authtest.Fault{})
			tok := "some-token"
			if tt.tok != nil {
				tok = tt.tok()
			}
			_, err := newProvider(t, introspectionConfig(srv)).Authenticate(context.Background(), dpopCred(tok))
			if !errors.Is(err, tt.kind) {
				t.Fatalf("err = %v, want %v", err, tt.kind)
			}
			if tt.kind == providers.ErrUnavailable && errors.Is(err, providers.ErrInvalidCredential) {
				t.Fatal("an upstream failure is also marked as a definite rejection (would be cached)")
			}
		})
	}
}

func TestIntrospectionTimeoutIsUnavailable(t *testing.T) {
	srv := authtest.NewServer(t)
	srv.SetFault(authtest.PathIntrospect, authtest.Fault{Delay: 300 * time.Millisecond, Status: 200, Body: `{"active":true}`})
	cfg := introspectionConfig(srv)
	cfg.Timeout = 50 * time.Millisecond
	_, err := newProvider(t, cfg).Authenticate(context.Background(), dpopCred("tok"))
	if !errors.Is(err, providers.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
}

func TestIntrospectionAuthenticatesTheBridge(t *testing.T) {
	srv := authtest.NewServer(t)
	k := proofKey(t)
	tok := srv.Opaque(authtest.Token{JKT: k.JKT()})
	cfg := introspectionConfig(srv)
	cfg.ClientSecret = "wrong"
	if _, err := newProvider(t, cfg).Authenticate(context.Background(), dpopCred(tok)); !errors.Is(err, providers.ErrUnavailable) {
		t.Fatalf("wrong client secret: err = %v, want ErrUnavailable", err)
	}

	// private_key_jwt with a PKCS#8 EC key.
	key, err := authtest.GenerateKey("ES256")
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "client.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	srv.ClientKey = key.Public()
	cfg = introspectionConfig(srv)
	cfg.ClientSecret, cfg.ClientAuth, cfg.PrivateKeyFile = "", AuthPrivateKeyJWT, file
	if _, err := newProvider(t, cfg).Authenticate(context.Background(), dpopCred(tok)); err != nil {
		t.Fatalf("private_key_jwt: %v", err)
	}

	// client_secret_file
	sf := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(sf, []byte(srv.ClientSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg = introspectionConfig(srv)
	cfg.ClientSecret, cfg.ClientSecretFile = "", sf
	if _, err := newProvider(t, cfg).Authenticate(context.Background(), dpopCred(tok)); err != nil {
		t.Fatalf("client_secret_file: %v", err)
	}
}

func TestBothModeRequiresAValidJWTAndAnActiveIntrospection(t *testing.T) {
	srv := authtest.NewServer(t)
	k := proofKey(t)
	cfg := introspectionConfig(srv)
	cfg.Validation, cfg.JWKSURI = ValidationBoth, srv.URL+authtest.PathJWKS
	p := newProvider(t, cfg)
	tok := srv.JWT(authtest.Token{JKT: k.JKT()})
	if _, err := p.Authenticate(context.Background(), dpopCred(tok)); err != nil {
		t.Fatal(err)
	}
	srv.Revoke(tok)
	if _, err := p.Authenticate(context.Background(), dpopCred(tok)); !errors.Is(err, providers.ErrInvalidCredential) {
		t.Fatalf("revoked JWT: err = %v, want ErrInvalidCredential", err)
	}
	// A forged JWT is refused before any introspection request.
	before := srv.Count(authtest.PathIntrospect)
	forged := srv.JWT(authtest.Token{JKT: k.JKT(), Audience: []string{"other"}})
	if _, err := p.Authenticate(context.Background(), dpopCred(forged)); !errors.Is(err, providers.ErrInvalidCredential) {
		t.Fatal(err)
	}
	if srv.Count(authtest.PathIntrospect) != before {
		t.Error("a locally refused JWT was sent to introspection")
	}
}

func TestIntrospectionNeverFollowsRedirects(t *testing.T) {
	srv := authtest.NewServer(t)
	srv.SetFault(authtest.PathIntrospect, authtest.Fault{Status: http.StatusTemporaryRedirect})
	_, err := newProvider(t, introspectionConfig(srv)).Authenticate(context.Background(), dpopCred("tok"))
	if !errors.Is(err, providers.ErrUnavailable) {
		t.Fatalf("err = %v", err)
	}
}
