package authority

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/authority/authtest"
)

func TestDPoPBoundJWTAccessTokenIsAccepted(t *testing.T) {
	srv := authtest.NewServer(t)
	p := newProvider(t, jwtConfig(srv))
	k := proofKey(t)
	tok := srv.JWT(authtest.Token{JKT: k.JKT(), Extra: map[string]any{
		"ext":              map[string]any{"stellaops:plan": "enterprise", "stellaops:license": "LIC-0001", "sub": "forged"},
		"username":         "svc-a",
		"stellaops:region": "eu",
	}})
	id, err := check(p, dpopCred(tok, k.Proof("GET", publicTokenURL, tok)))
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	if id.Subject != "service-a" || id.Username != "svc-a" {
		t.Errorf("subject, username = %q, %q", id.Subject, id.Username)
	}
	if len(id.Grants) != 1 || id.Grants[0] != "registry.token.issue" {
		t.Errorf("grants = %v", id.Grants)
	}
	if id.Claims["stellaops:plan"] != "enterprise" || id.Claims["stellaops:license"] != "LIC-0001" {
		t.Errorf("custom claims not lifted from ext: %v", id.Claims)
	}
	if id.Claims["sub"] != "service-a" {
		t.Errorf("a nested claim overrode sub: %v", id.Claims["sub"])
	}
	if d := time.Until(id.Expiry); d < 4*time.Minute || d > 5*time.Minute {
		t.Errorf("expiry in %s, want about 5m", d)
	}
}

func TestJWTAccessTokenRefusals(t *testing.T) {
	srv := authtest.NewServer(t)
	k := proofKey(t)
	attacker, _ := authtest.GenerateKey("RS256")
	tests := []struct {
		name string
		tok  authtest.Token
		raw  func() string
		want string // error_description substring
	}{
		{name: "another issuer is refused", tok: authtest.Token{Extra: map[string]any{"iss": "https://other.example/"}}, want: "issuer"},
		{name: "an issuer without the trailing slash is refused", tok: authtest.Token{Extra: map[string]any{"iss": strings.TrimSuffix(srv.Issuer, "/")}}, want: "issuer"},
		{name: "another audience is refused", tok: authtest.Token{Audience: []string{"other"}}, want: "audience"},
		{name: "an empty audience list (Hydra without audience) is refused", tok: authtest.Token{Audience: []string{}}, want: "audience"},
		{name: "a numeric audience is refused", tok: authtest.Token{Extra: map[string]any{"aud": 5}}, want: "audience"},
		{name: "an expired token is refused", tok: authtest.Token{Extra: map[string]any{"exp": time.Now().Add(-time.Minute).Unix()}}, want: "expired"},
		{name: "a token without exp is refused", tok: authtest.Token{Mutate: func(_, c map[string]any) { delete(c, "exp") }}, want: "exp"},
		{name: "a string exp is refused", tok: authtest.Token{Extra: map[string]any{"exp": "9999999999"}}, want: "exp"},
		{name: "a token not yet valid is refused", tok: authtest.Token{Extra: map[string]any{"nbf": time.Now().Add(time.Hour).Unix()}}, want: "not yet valid"},
		{name: "a token issued in the future is refused", tok: authtest.Token{Extra: map[string]any{"iat": time.Now().Add(time.Hour).Unix()}}, want: "future"},
		{name: "a token without sub is refused", tok: authtest.Token{Mutate: func(_, c map[string]any) { delete(c, "sub") }}, want: "sub"},
		{name: "typ JWT is refused by default (RFC 9068 at+jwt)", tok: authtest.Token{Typ: "JWT"}, want: "typ"},
		{name: "an ID token shape (typ missing) is refused", tok: authtest.Token{Mutate: func(h, _ map[string]any) { delete(h, "typ") }}, want: "typ"},
		{name: "a header jwk is refused", tok: authtest.Token{Mutate: func(h, _ map[string]any) { h["jwk"] = authtest.PublicJWK(attacker.Public()) }}, want: "jwk"},
		{name: "a header jku is refused", tok: authtest.Token{Mutate: func(h, _ map[string]any) { h["jku"] = "https://evil.example/jwks" }}, want: "jku"},
		{name: "a cnf that is not an object is refused", tok: authtest.Token{Extra: map[string]any{"cnf": "x"}}, want: "cnf"},
		{name: "a padded cnf.jkt is refused", tok: authtest.Token{Extra: map[string]any{"cnf": map[string]any{"jkt": k.JKT() + "="}}}, want: "cnf"},
		{name: "a token signed by another key with the issuer's kid is refused", raw: func() string {
			good := srv.JWT(authtest.Token{JKT: k.JKT()})
			parts := strings.Split(good, ".")
			forged, _ := authtest.SignCompact(attacker, "RS256", map[string]any{"typ": "at+jwt", "alg": "RS256"}, map[string]any{"iss": srv.Issuer})
			return parts[0] + "." + strings.Split(forged, ".")[1] + "." + strings.Split(forged, ".")[2]
		}, want: "signature"},
		{name: "alg none is refused", raw: func() string {
			s, _ := authtest.SignCompact(nil, "none", map[string]any{"typ": "at+jwt", "alg": "none"}, map[string]any{"iss": srv.Issuer})
			return s
		}, want: "alg"},
		{name: "alg none with a signature part is refused", raw: func() string {
			s, _ := authtest.SignCompact(nil, "none", map[string]any{"typ": "at+jwt", "alg": "none"}, map[string]any{"iss": srv.Issuer})
			return s + "AAAA"
		}, want: "alg"},
		{name: "HS256 keyed with public key bytes is refused", raw: func() string {
			s, _ := authtest.SignCompact([]byte("public-key-bytes"), "HS256", map[string]any{"typ": "at+jwt", "alg": "HS256"}, map[string]any{"iss": srv.Issuer})
			return s
		}, want: "alg"},
		{name: "an opaque token in jwt mode is refused", raw: func() string { return "opaque-token" }, want: "not a JWT"},
		{name: "a duplicate claim is refused, never last-wins", raw: func() string {
			exp := time.Now().Add(time.Minute).Unix()
			return srv.SignPayload("at+jwt", []byte(fmt.Sprintf(`{"iss":%q,"aud":"registry","exp":%d,"sub":"a","sub":"admin","scope":"registry.token.issue","cnf":{"jkt":%q}}`, srv.Issuer, exp, k.JKT())))
		}, want: "claims"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProvider(t, jwtConfig(srv))
			var tok string
			if tt.raw != nil {
				tok = tt.raw()
			} else {
				if tt.tok.JKT == "" {
					tt.tok.JKT = k.JKT()
				}
				tok = srv.JWT(tt.tok)
			}
			_, err := p.Authenticate(context.Background(), dpopCred(tok))
			if !errors.Is(err, providers.ErrInvalidCredential) {
				t.Fatalf("err = %v, want ErrInvalidCredential", err)
			}
			ch := challengeOf(t, err)
			if ch.Scheme != "DPoP" || param(ch, "error") != "invalid_token" {
				t.Errorf("challenge = %s %v, want DPoP invalid_token", ch.Scheme, ch.Params)
			}
			if !strings.Contains(param(ch, "error_description"), tt.want) {
				t.Errorf("error_description %q does not mention %q", param(ch, "error_description"), tt.want)
			}
		})
	}
}

func TestScopesMatchExactTokensOnly(t *testing.T) {
	srv := authtest.NewServer(t)
	k := proofKey(t)
	tests := []struct {
		name  string
		cfg   func(*Config)
		tok   authtest.Token
		allow bool
	}{
		{"the exact scope among others is accepted", nil, authtest.Token{Scope: "openid registry.token.issue"}, true},
		{"registry.token.issue.admin does not satisfy registry.token.issue", nil, authtest.Token{Scope: "registry.token.issue.admin"}, false},
		{"xregistry.token.issue does not satisfy registry.token.issue", nil, authtest.Token{Scope: "xregistry.token.issue"}, false},
		{"no scope claim is insufficient", nil, authtest.Token{Scope: "-"}, false},
		{"an scp array is ignored when scope_claim is scope", nil, authtest.Token{Scope: "-", SCP: []string{"registry.token.issue"}}, false},
		{"an scp array is read when scope_claim is scp (Hydra)", func(c *Config) { c.ScopeClaim = "scp" }, authtest.Token{Scope: "-", SCP: []string{"registry.token.issue"}}, true},
		{"scope_claim both reads either", func(c *Config) { c.ScopeClaim = "both" }, authtest.Token{Scope: "openid", SCP: []string{"registry.token.issue"}}, true},
		{"a configured required scope list replaces the default", func(c *Config) { c.RequiredScopes = []string{"push"} }, authtest.Token{Scope: "push"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := jwtConfig(srv)
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			tt.tok.JKT = k.JKT()
			_, err := newProvider(t, cfg).Authenticate(context.Background(), dpopCred(srv.JWT(tt.tok)))
			if tt.allow {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			ch := challengeOf(t, err)
			if param(ch, "error") != "insufficient_scope" || ch.Status != http.StatusForbidden {
				t.Errorf("challenge %v status %d, want insufficient_scope 403", ch.Params, ch.Status)
			}
		})
	}
}

func TestClientIDAllowList(t *testing.T) {
	srv := authtest.NewServer(t)
	k := proofKey(t)
	cfg := jwtConfig(srv)
	cfg.ClientIDs = []string{"client-a"}
	p := newProvider(t, cfg)
	if _, err := p.Authenticate(context.Background(), dpopCred(srv.JWT(authtest.Token{JKT: k.JKT()}))); err != nil {
		t.Fatalf("allowed client refused: %v", err)
	}
	_, err := p.Authenticate(context.Background(), dpopCred(srv.JWT(authtest.Token{JKT: k.JKT(), ClientID: "client-b"})))
	if !errors.Is(err, providers.ErrInvalidCredential) {
		t.Fatalf("other client: err = %v, want ErrInvalidCredential", err)
	}
}

func TestHydraShapedTokenWithConfiguredTypAndScp(t *testing.T) {
	srv := authtest.NewServer(t)
	cfg := jwtConfig(srv)
	cfg.AccessTokenTypes = []string{"JWT"}
	cfg.ScopeClaim = "scp"
	cfg.SenderConstraint = ConstraintNone
	p := newProvider(t, cfg)
	tok := srv.JWT(authtest.Token{Typ: "JWT", Scope: "-", SCP: []string{"registry.token.issue"},
		Extra: map[string]any{"ext": map[string]any{}}})
	id, err := check(p, bearerCred(tok))
	if err != nil {
		t.Fatal(err)
	}
	if id.Username != "client-a" {
		t.Errorf("username = %q, want the client_id", id.Username)
	}
}

func TestUnknownKIDFloodCausesAtMostOneJWKSRequestPerCooldown(t *testing.T) {
	srv := authtest.NewServer(t)
	k := proofKey(t)
	p := newProvider(t, jwtConfig(srv))
	if _, err := p.Authenticate(context.Background(), dpopCred(srv.JWT(authtest.Token{JKT: k.JKT()}))); err != nil {
		t.Fatal(err)
	}
	base := srv.Count(authtest.PathJWKS)
	for i := 0; i < 100; i++ {
		tok := srv.JWT(authtest.Token{JKT: k.JKT(), Mutate: func(h, _ map[string]any) { h["kid"] = "random-" + string(rune('a'+i%26)) }})
		if _, err := p.Authenticate(context.Background(), dpopCred(tok)); !errors.Is(err, providers.ErrInvalidCredential) {
			t.Fatalf("unknown kid: err = %v", err)
		}
	}
	if got := srv.Count(authtest.PathJWKS) - base; got > 1 {
		t.Fatalf("%d JWKS requests for an unknown-kid flood, want at most 1", got)
	}
}

func TestRotatedKeyIsFetchedAfterTheCooldown(t *testing.T) {
	srv := authtest.NewServer(t)
	k := proofKey(t)
	now := time.Now()
	p, err := New("authority", jwtConfig(srv), providers.Deps{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Authenticate(context.Background(), dpopCred(srv.JWT(authtest.Token{JKT: k.JKT()}))); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Rotate("ES256"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Second) // within the cooldown: still unknown
	rotated := srv.JWT(authtest.Token{JKT: k.JKT()})
	if _, err := p.Authenticate(context.Background(), dpopCred(rotated)); err == nil {
		t.Fatal("rotated key known before any refresh")
	}
	now = now.Add(DefaultRefreshCooldown)
	if _, err := p.Authenticate(context.Background(), dpopCred(rotated)); err != nil {
		t.Fatalf("rotated key after the cooldown: %v", err)
	}
}

func TestJWKSOutageIsUnavailableNotInvalid(t *testing.T) {
	srv := authtest.NewServer(t)
	srv.SetFault(authtest.PathJWKS, authtest.Fault{Status: http.StatusBadGateway})
	p := newProvider(t, jwtConfig(srv))
	_, err := p.Authenticate(context.Background(), dpopCred(srv.JWT(authtest.Token{})))
	if !errors.Is(err, providers.ErrUnavailable) || errors.Is(err, providers.ErrInvalidCredential) {
		t.Fatalf("err = %v, want ErrUnavailable only", err)
	}
}

func TestDiscoveryFindsTheJWKS(t *testing.T) {
	srv := authtest.NewServer(t)
	cfg := jwtConfig(srv)
	cfg.JWKSURI, cfg.Discovery = "", true
	k := proofKey(t)
	if _, err := newProvider(t, cfg).Authenticate(context.Background(), dpopCred(srv.JWT(authtest.Token{JKT: k.JKT()}))); err != nil {
		t.Fatal(err)
	}
}

func TestInlineJWKSNeedsNoNetwork(t *testing.T) {
	srv := authtest.NewServer(t)
	resp, err := http.Get(srv.URL + authtest.PathJWKS)
	if err != nil {
		t.Fatal(err)
	}
	b := new(strings.Builder)
	_, _ = ioCopy(b, resp)
	cfg := jwtConfig(srv)
	cfg.JWKSURI, cfg.JWKS = "", b.String()
	p := newProvider(t, cfg)
	before := srv.Count(authtest.PathJWKS)
	k := proofKey(t)
	if _, err := p.Authenticate(context.Background(), dpopCred(srv.JWT(authtest.Token{JKT: k.JKT()}))); err != nil {
		t.Fatal(err)
	}
	if srv.Count(authtest.PathJWKS) != before {
		t.Fatal("inline JWKS provider fetched keys")
	}
}
