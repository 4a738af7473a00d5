package sourcehut

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/sourcehut/srhttest"
)

func TestT1GivesPullAndPushToItsOwnerWithTheTokensExpiry(t *testing.T) {
	f := newFixture(t, nil, srhttest.Options{})
	id, err := f.auth(vecT1)
	if err != nil {
		t.Fatalf("Authenticate(T1): %v", err)
	}
	want := providers.Identity{
		Subject:    "sourcehut:jdoe",
		Username:   "jdoe",
		Grants:     []string{"registry.example.com/REGISTRY:RW"},
		MaxActions: []string{"pull", "push"},
		Expiry:     time.Unix(2000000000, 0).UTC(),
		Claims:     map[string]any{ClaimClientID: "", ClaimAllPermissions: false},
	}
	if !reflect.DeepEqual(id, want) {
		t.Errorf("identity = %+v, want %+v", id, want)
	}
	if n := f.meta.CountToken(vecT1); n != 1 {
		t.Errorf("meta saw T1 %d times, want 1", n)
	}
}

func TestUsernameComesFromTheTokenNeverFromBasic(t *testing.T) {
	f := newFixture(t, nil, srhttest.Options{})
	for _, u := range []string{"sourcehut", "root", "admin", "someone-else", ""} {
		cred := basic(vecT1)
		cred.Username = u
		id, err := f.p.Authenticate(context.Background(), cred)
		if err != nil {
			t.Fatalf("Basic username %q: %v", u, err)
		}
		if id.Username != "jdoe" || id.Subject != "sourcehut:jdoe" {
			t.Errorf("Basic username %q gave %q / %q, want jdoe", u, id.Username, id.Subject)
		}
	}
}

func TestGrantsDecideTheCap(t *testing.T) {
	pull := []string{"pull"}
	both := []string{"pull", "push"}
	tests := []struct {
		name       string
		tok        string
		pat        bool
		wantGrants []string
		wantMax    []string // nil: refused
	}{
		{"X2 without an access part is pull only", vecX2, false, []string{"registry.example.com/REGISTRY"}, pull},
		{"X7 with RO is pull only", vecX7, false, []string{"registry.example.com/REGISTRY:RO"}, pull},
		{"X5 with a meta grant beside RW is pull and push", vecX5, false, []string{"registry.example.com/REGISTRY:RW"}, both},
		{"X6, an OAuth client token with RW, is pull and push", vecX6, false, []string{"registry.example.com/REGISTRY:RW"}, both},
		{"T2, an all-permissions PAT, is refused by default", vecT2, false, nil, nil},
		{"T2 is pull and push when personal access tokens are allowed", vecT2, true, []string{"registry.example.com/REGISTRY:RW"}, both},
		{"X1, empty grants from an OAuth client, is refused even when PATs are allowed", vecX1, true, nil, nil},
		{"T6, a grant for another domain, is refused although meta accepts it", vecT6, false, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(c *Config) { c.AllowPersonalAccessTokens = tt.pat }, srhttest.Options{})
			id, err := f.auth(tt.tok)
			if tt.wantMax == nil {
				wantInvalid(t, err)
				if n := f.meta.Count(); n != 0 {
					t.Errorf("meta saw %d requests for a token refused locally, want 0", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(id.MaxActions, tt.wantMax) || !reflect.DeepEqual(id.Grants, tt.wantGrants) {
				t.Errorf("got grants %q max %q, want %q %q", id.Grants, id.MaxActions, tt.wantGrants, tt.wantMax)
			}
		})
	}
}

func TestTokensForOtherPurposesOrLookalikeDomainsAreRefusedWithoutAMetaCall(t *testing.T) {
	tests := []struct{ name, grants string }{
		{"a builds.sr.ht token", "builds.sr.ht/JOBS:RW"},
		{"a meta.sr.ht profile token", "meta.sr.ht/PROFILE:RO"},
		{"another registry", "other.example.org/REGISTRY:RW"},
		{"a suffix of the domain", "registry.example.com.evil/REGISTRY:RW"},
		{"a prefix of the domain", "evil.registry.example.com/REGISTRY:RW"},
		{"the domain in upper case", "REGISTRY.EXAMPLE.COM/REGISTRY:RW"},
		{"the scope in lower case", "registry.example.com/registry:RW"},
		{"another scope of the domain", "registry.example.com/ADMIN:RW"},
		{"the domain with a port that is not configured", "registry.example.com:5000/REGISTRY:RW"},
		{"a trailing dot on the domain", "registry.example.com./REGISTRY:RW"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil, srhttest.Options{})
			_, err := f.auth(f.mint(tt.grants))
			wantInvalid(t, err)
			if n := f.meta.Count(); n != 0 {
				t.Errorf("meta saw %d requests, want 0", n)
			}
		})
	}
}

func TestTheConfiguredPortIsPartOfTheDomain(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.RegistryDomain = "registry.example.com:5000" }, srhttest.Options{})
	if _, err := f.auth(f.mint("registry.example.com:5000/REGISTRY:RW")); err != nil {
		t.Errorf("grant with the configured port: %v", err)
	}
	_, err := f.auth(f.mint("registry.example.com/REGISTRY:RW"))
	wantInvalid(t, err)
}

func TestMalformedGrantsRejectTheWholeToken(t *testing.T) {
	rw := "registry.example.com/REGISTRY:RW"
	tests := []struct{ name, grants string }{
		{"a lone space", " "},
		{"a double space", rw + "  meta.sr.ht/PROFILE:RO"},
		{"a trailing space", rw + " "},
		{"a leading space", " " + rw},
		{"a trailing newline from a YAML block scalar", rw + "\n"},
		{"a newline as separator", "meta.sr.ht/PROFILE:RO\n" + rw},
		{"garbage access", "registry.example.com/REGISTRY:XX"},
		{"lower-case access", "registry.example.com/REGISTRY:rw"},
		{"an empty access", "registry.example.com/REGISTRY:"},
		{"two colons", "registry.example.com/REGISTRY:RW:RW"},
		{"two slashes", "registry.example.com/REGISTRY/x:RW"},
		{"no slash beside a good grant", rw + " nonsense"},
		{"an empty service", "/REGISTRY:RW"},
		{"an empty scope", "registry.example.com/:RW"},
		{"a tab", "registry.example.com/REGISTRY:RW\tmeta.sr.ht/PROFILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil, srhttest.Options{HangUpOnMalformedGrants: true})
			_, err := f.auth(f.mint(tt.grants))
			wantInvalid(t, err)
			if n := f.meta.Count(); n != 0 {
				t.Errorf("meta saw %d requests, want 0", n)
			}
		})
	}
}

func TestLocalHygieneRefusesWithoutAMetaCall(t *testing.T) {
	f := newFixture(t, nil, srhttest.Options{})
	tests := []struct{ name, tok string }{
		{"an empty password", ""},
		{"a whitespace password", "   "},
		{"a password with a space", vecT1[:50] + " " + vecT1[50:]},
		{"T1 with a trailing newline", vecT1 + "\n"},
		{"T1 with a CR LF inside (Go's decoder would skip it)", vecT1[:40] + "\r\n" + vecT1[40:]},
		{"T1 prime, a non-canonical encoding (revocation bypass)", vecT1Prime},
		{"T1 with padding", vecT1 + "="},
		{"a URL-safe encoding", strings.NewReplacer("+", "-", "/", "_").Replace(vecX5)},
		{"a legacy 32-hex token", "0123456789abcdef0123456789abcdef"},
		{"X4 with a trailing byte (meta would accept it)", vecX4},
		{"X3 with version 1", vecX3},
		{"T3, expired", vecT3},
		{"an oversized token", strings.Repeat("A", DefaultMaxTokenLength+1)},
		{"a username that sourcehut does not allow", f.meta.Mint(srhttest.Token{Expires: 2000000000, Grants: "registry.example.com/REGISTRY:RW", Username: "Root"})},
		{"a one-letter username", f.meta.Mint(srhttest.Token{Expires: 2000000000, Grants: "registry.example.com/REGISTRY:RW", Username: "j"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.auth(tt.tok)
			wantInvalid(t, err)
		})
	}
	if n := f.meta.Count(); n != 0 {
		t.Errorf("meta saw %d requests, want 0", n)
	}
}

func TestOversizedTokenIsRefusedBeforeAnyNetworkIO(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	p, err := New("s", Config{MetaURL: srv.URL, RegistryDomain: domain, MaxTokenLength: 100}, providers.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Authenticate(context.Background(), basic(vecT1+strings.Repeat("A", 1<<20)))
	wantInvalid(t, err)
	_, err = p.Authenticate(context.Background(), basic(vecX5)) // 139 > 100
	wantInvalid(t, err)
	if hits.Load() != 0 {
		t.Errorf("upstream saw %d requests, want 0", hits.Load())
	}
}

func TestOnlyBasicCredentialsAreAccepted(t *testing.T) {
	f := newFixture(t, nil, srhttest.Options{})
	for _, s := range []providers.Scheme{providers.SchemeBearer, providers.SchemeDPoP, providers.SchemeExchange, providers.SchemeNone} {
		cred := basic(vecT1)
		cred.Scheme = s
		_, err := f.p.Authenticate(context.Background(), cred)
		wantInvalid(t, err)
	}
}

func TestRevokedTokenCannotBeReplayedInANonCanonicalEncoding(t *testing.T) {
	f := newFixture(t, nil, srhttest.Options{})
	tok := f.mint("registry.example.com/REGISTRY:RW")
	variant := srhttest.NonCanonical(tok)
	if variant == "" {
		t.Fatal("no non-canonical variant")
	}
	f.meta.Revoke(tok)
	_, err := f.auth(tok)
	wantInvalid(t, err)
	_, err = f.auth(variant)
	wantInvalid(t, err)
	if n := f.meta.CountToken(variant); n != 0 {
		t.Errorf("the variant reached meta %d times, want 0 (meta would accept it)", n)
	}
}

func TestExpiryBoundaries(t *testing.T) {
	exp := time.Unix(2000000000, 0)
	tests := []struct {
		name string
		at   time.Time
		ok   bool
	}{
		{"one second before Expires is valid", exp.Add(-time.Second), true},
		{"the second Expires itself is valid", exp, true},
		{"half a second after Expires is expired", exp.Add(500 * time.Millisecond), false},
		{"one second after Expires is expired", exp.Add(time.Second), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil, srhttest.Options{})
			f.clock.Set(tt.at)
			id, err := f.auth(vecT1)
			if !tt.ok {
				wantInvalid(t, err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !id.Expiry.Equal(exp) {
				t.Errorf("Expiry = %v, want %v", id.Expiry, exp)
			}
		})
	}
}

func TestTokenExpiringDuringTheMetaCallIsRefused(t *testing.T) {
	f := newFixture(t, nil, srhttest.Options{})
	f.clock.Set(time.Unix(2000000000, 0))
	// The fake answers with its clock; move it past Expires only for the
	// provider's second look by wrapping the provider clock.
	calls := 0
	f.p.now = func() time.Time {
		calls++
		if calls > 1 {
			return time.Unix(2000000001, 0)
		}
		return time.Unix(2000000000, 0)
	}
	_, err := f.auth(vecT1)
	wantInvalid(t, err)
}

func TestDuplicateRegistryGrantsGiveTheHighestAccessAndAreAllReported(t *testing.T) {
	f := newFixture(t, nil, srhttest.Options{})
	id, err := f.auth(f.mint("registry.example.com/REGISTRY:RW git.sr.ht/REPOSITORIES:RO registry.example.com/REGISTRY:RO"))
	if err != nil {
		t.Fatal(err)
	}
	wantGrants := []string{"registry.example.com/REGISTRY:RW", "registry.example.com/REGISTRY:RO"}
	if !reflect.DeepEqual(id.Grants, wantGrants) || !reflect.DeepEqual(id.MaxActions, []string{"pull", "push"}) {
		t.Errorf("grants %q max %q, want %q and pull,push", id.Grants, id.MaxActions, wantGrants)
	}
}
