package authority

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/authority/authtest"
	"github.com/regbridge/regbridge/providers/internal/jwks"
	"gopkg.in/yaml.v3"
)

const exampleYAML = `
issuer: https://authority.example.com/
audiences: [registry]
validation: both
discovery: true
algorithms: [RS256, ES256]
introspection_url: https://authority.example.com/introspect
client_id: regbridge
client_secret_file: /etc/regbridge/authority-secret
scope_claim: both
required_scopes: [registry.token.issue]
client_ids: [ci-deployer]
claims_path: ext
claims: ["stellaops:plan", "stellaops:license"]
sender_constraint: dpop
dpop: {algorithms: [ES256, EdDSA], iat_window: 60s, nonce: true, nonce_ttl: 5m}
mtls: {trusted_proxies: [10.0.0.0/8], client_cert_header: Client-Cert}
skew: 30s
cache_ttl: 30s
timeout: 5s
`

func TestExampleConfigIsValid(t *testing.T) {
	var cfg Config
	dec := yaml.NewDecoder(strings.NewReader(exampleYAML))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.DPoP.IATWindow.Seconds() != 60 {
		t.Errorf("iat_window = %s", cfg.DPoP.IATWindow)
	}
}

func TestValidateReportsEveryProblemByKey(t *testing.T) {
	cfg := Config{
		Issuer:           "http://authority.example.com/",
		Validation:       "both",
		Keys:             jwks.Keys{JWKSURI: "https://a.example/jwks", JWKS: `{"keys":[]}`, Algorithms: []string{"HS256"}},
		IntrospectionURL: "ftp://x",
		ClientAuth:       "client_secret_basic",
		ScopeClaim:       "scopes",
		RequiredScopes:   []string{"a b"},
		ClaimsPath:       "a.b",
		SenderConstraint: "maybe",
		DPoP:             DPoPConfig{Algorithms: []string{"none"}, IATWindow: -1},
		MTLS:             MTLSConfig{TrustedProxies: []string{"not-a-cidr"}},
		Skew:             -1,
	}
	err := cfg.Validate()
	if err == nil {
		t.Fatal("invalid config accepted")
	}
	for _, key := range []string{"issuer:", "audiences:", "jwks:", "jwks_uri, jwks, discovery:", "algorithms:", "introspection_url:",
		"client_id:", "client_secret, client_secret_file:", "scope_claim:", "required_scopes[0]:", "claims_path:",
		"sender_constraint:", "dpop.algorithms:", "dpop.iat_window:", "mtls.trusted_proxies[0]:", "mtls:", "skew:"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error does not name %q:\n%v", key, err)
		}
	}
}

func TestNewDoesNoNetworkIO(t *testing.T) {
	cfg := Config{Issuer: "https://unreachable.invalid/", Audiences: []string{"registry"}, Discovery: true}
	if _, err := New("authority", cfg, providers.Deps{}); err != nil {
		t.Fatalf("New with an unreachable issuer: %v", err)
	}
}

func TestRouteAndPolicyFacts(t *testing.T) {
	cfg := Config{Issuer: "https://a.example/", Audiences: []string{"registry"}, Validation: ValidationIntrospection,
		IntrospectionURL: "https://a.example/introspect", ClientAuth: AuthNone}
	p := newProvider(t, cfg)
	r := p.Route()
	if !slices.Equal(r.Issuers, []string{"https://a.example/"}) || !slices.Equal(r.Schemes, []string{"DPoP", "Bearer"}) || !r.OpaqueTokens {
		t.Errorf("route = %+v", r)
	}
	if f := p.PolicyFacts(); f.Type != "authority" || f.Claims != nil {
		t.Errorf("facts = %+v, want authority with nil claims", f)
	}
	cfg.Claims = []string{"stellaops:plan"}
	if f := newProvider(t, cfg).PolicyFacts(); !slices.Contains(f.Claims, "stellaops:plan") {
		t.Errorf("configured claims missing: %v", f.Claims)
	}
	jwtOnly := Config{Issuer: "https://a.example/", Audiences: []string{"registry"}, Keys: jwks.Keys{JWKSURI: "https://a.example/jwks"}}
	if newProvider(t, jwtOnly).Route().OpaqueTokens {
		t.Error("jwt-only provider claims opaque tokens")
	}
}

func TestFilesListsTheSecretFilesTheProviderRead(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "client-secret")
	if err := os.WriteFile(secret, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := authtest.NewServer(t)
	cfg := introspectionConfig(srv)
	cfg.ClientSecret, cfg.ClientSecretFile = "", secret
	if got := newProvider(t, cfg).Files(); len(got) != 1 || got[0] != secret {
		t.Errorf("Files() = %v, want [%s]", got, secret)
	}
}
