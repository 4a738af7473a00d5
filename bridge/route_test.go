package bridge

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/regbridge/regbridge/providers"
)

// routeProvider records that it was asked; it must never be asked for a
// credential routed elsewhere.
type routeProvider struct {
	route providers.Route
	asked int
}

func (r *routeProvider) Authenticate(context.Context, providers.Credential) (providers.Identity, error) {
	r.asked++
	return providers.Identity{Subject: "x"}, nil
}

func (r *routeProvider) Route() providers.Route { return r.route }

func jws(header, payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(header)) + "." + enc([]byte(payload)) + "." + enc([]byte("sig"))
}

func testRouteTable(t testing.TB) (*RouteTable, map[string]*routeProvider) {
	t.Helper()
	ps := map[string]*routeProvider{
		"users":     {route: providers.Route{Users: func(n string) bool { return n == "alice" }}},
		"github":    {route: providers.Route{Issuers: []string{"https://token.actions.githubusercontent.com"}}},
		"sourcehut": {route: providers.Route{Usernames: []string{"*"}}},
		"forge":     {route: providers.Route{Usernames: []string{"forge"}}},
		"authority": {route: providers.Route{Issuers: []string{"https://authority.example"}, Schemes: []string{"DPoP", "Bearer"}, OpaqueTokens: true}},
	}
	var list []*Registered
	for _, id := range []string{"users", "github", "sourcehut", "forge", "authority"} {
		list = append(list, &Registered{ID: id, Provider: ps[id]})
	}
	r, err := NewRouteTable(list)
	if err != nil {
		t.Fatal(err)
	}
	return r, ps
}

func TestEachCredentialRoutesToExactlyOneProvider(t *testing.T) {
	r, _ := testRouteTable(t)
	gh := jws(`{"alg":"RS256"}`, `{"iss":"https://token.actions.githubusercontent.com","aud":"x"}`)
	auth := jws(`{"alg":"ES256","typ":"at+jwt"}`, `{"iss":"https://authority.example"}`)
	cases := []struct {
		name string
		cred providers.Credential
		want string
	}{
		{"a local user by name", providers.Credential{Scheme: providers.SchemeBasic, Username: "alice", Secret: "pw"}, "users"},
		{"a JWT password by its issuer, whatever the username", providers.Credential{Scheme: providers.SchemeBasic, Username: "alice", Secret: providers.Secret(gh)}, "github"},
		{"an opaque password by a listed username", providers.Credential{Scheme: providers.SchemeBasic, Username: "forge", Secret: "opaque"}, "forge"},
		{"an opaque password under any other username to the wildcard", providers.Credential{Scheme: providers.SchemeBasic, Username: "sourcehut", Secret: "opaque"}, "sourcehut"},
		{"a DPoP header by issuer", providers.Credential{Scheme: providers.SchemeDPoP, Secret: providers.Secret(auth)}, "authority"},
		{"an opaque Bearer header to the introspecting provider", providers.Credential{Scheme: providers.SchemeBearer, Secret: "opaque"}, "authority"},
		{"an opaque exchange token to the introspecting provider", providers.Credential{Scheme: providers.SchemeExchange, Secret: "opaque"}, "authority"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reg, err := r.Route(tc.cred)
			if err != nil {
				t.Fatal(err)
			}
			if reg.ID != tc.want {
				t.Errorf("routed to %q, want %q", reg.ID, tc.want)
			}
		})
	}
}

func TestUnknownJWTIssuerIsRefusedWithoutAskingAnyProvider(t *testing.T) {
	r, ps := testRouteTable(t)
	cases := map[string]string{
		"unknown issuer":                  jws(`{"alg":"RS256"}`, `{"iss":"https://evil.example"}`),
		"issuer differing by a slash":     jws(`{"alg":"RS256"}`, `{"iss":"https://token.actions.githubusercontent.com/"}`),
		"issuer differing by case":        jws(`{"alg":"RS256"}`, `{"iss":"https://Token.actions.githubusercontent.com"}`),
		"no issuer":                       jws(`{"alg":"RS256"}`, `{"sub":"x"}`),
		"issuer not a string":             jws(`{"alg":"RS256"}`, `{"iss":["https://token.actions.githubusercontent.com"]}`),
		"header not JSON":                 "bm90anNvbg." + base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"x"}`)) + ".c2ln",
		"padded base64 payload":           base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256"}`)) + "." + base64.URLEncoding.EncodeToString([]byte(`{"iss":"https://token.actions.githubusercontent.com"}`)) + "==.c2ln",
		"empty signature":                 strings.TrimSuffix(jws(`{"alg":"RS256"}`, `{"iss":"x"}`), base64.RawURLEncoding.EncodeToString([]byte("sig"))),
		"DPoP scheme to a Basic provider": jws(`{"alg":"RS256"}`, `{"iss":"https://token.actions.githubusercontent.com"}`),
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			scheme := providers.SchemeBasic
			if strings.HasPrefix(name, "DPoP") {
				scheme = providers.SchemeDPoP
			}
			_, err := r.Route(providers.Credential{Scheme: scheme, Username: "sourcehut", Secret: providers.Secret(tok)})
			if !errors.Is(err, providers.ErrInvalidCredential) {
				t.Fatalf("got %v, want an invalid credential", err)
			}
		})
	}
	for id, p := range ps {
		if p.asked != 0 {
			t.Errorf("provider %q was asked", id)
		}
	}
}

func TestRoutingConflictsAreConfigurationErrors(t *testing.T) {
	a := &routeProvider{route: providers.Route{Issuers: []string{"i"}, Usernames: []string{"*", "u"}}}
	b := &routeProvider{route: providers.Route{Issuers: []string{"i"}, Usernames: []string{"*", "u"}}}
	_, err := NewRouteTable([]*Registered{{ID: "a", Provider: a}, {ID: "b", Provider: b}})
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{`both declare issuer "i"`, `both claim every username`, `both claim username "u"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
}

func FuzzPeekIssuer(f *testing.F) {
	f.Add(jws(`{"alg":"RS256"}`, `{"iss":"https://token.actions.githubusercontent.com"}`))
	f.Add("a.b.c")
	f.Add("opaque-token")
	f.Add(jws(`{"alg":"none"}`, `{"iss":""}`))
	f.Add(jws(`{"alg":"RS256"}`, `{"iss":"a","iss":"b"}`))
	r, ps := testRouteTable(f)
	f.Fuzz(func(t *testing.T, tok string) {
		iss, isJWS, err := PeekIssuer(tok)
		if !isJWS && (err != nil || iss != "") {
			t.Fatalf("non-JWS %q gave iss %q err %v", tok, iss, err)
		}
		if isJWS && err == nil && iss == "" {
			t.Fatalf("JWS %q peeked an empty issuer without error", tok)
		}
		reg, err := r.Route(providers.Credential{Scheme: providers.SchemeBasic, Username: "sourcehut", Secret: providers.Secret(tok)})
		if err != nil {
			return
		}
		if isJWS && reg.ID != "github" && reg.ID != "authority" {
			t.Fatalf("JWS %q routed to %q", tok, reg.ID)
		}
		if !isJWS && reg.ID != "sourcehut" {
			t.Fatalf("opaque %q routed to %q", tok, reg.ID)
		}
		for id, p := range ps {
			if p.asked != 0 {
				t.Fatalf("routing asked provider %q", id)
			}
		}
	})
}

func TestABasicNameNoProviderClaimsGoesToTheLocalAccountsNotStraightToARefusal(t *testing.T) {
	users := &routeProvider{route: providers.Route{Users: func(n string) bool { return n == "alice" }}}
	forge := &routeProvider{route: providers.Route{Usernames: []string{"forge"}}}
	r, err := NewRouteTable([]*Registered{{ID: "forge", Provider: forge}, {ID: "users", Provider: users}})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := r.Route(providers.Credential{Scheme: providers.SchemeBasic, Username: "nobody", Secret: "pw"})
	if err != nil || reg.ID != "users" {
		t.Fatalf("routed to %v, %v; want the local provider, which pays a password check", reg, err)
	}
	onlyForge, _ := NewRouteTable([]*Registered{{ID: "forge", Provider: &routeProvider{route: providers.Route{Usernames: []string{"forge"}}}}})
	if _, err := onlyForge.Route(providers.Credential{Scheme: providers.SchemeBasic, Username: "nobody", Secret: "pw"}); !errors.Is(err, ErrNoRoute) {
		t.Errorf("without local accounts an unclaimed name is %v, want ErrNoRoute", err)
	}
}
