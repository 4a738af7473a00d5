package bridge

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/regbridge/regbridge/bridge/signing"
)

func TestADockerLoginGetsARefreshTokenThatOutlivesTheIDToken(t *testing.T) {
	e := newRefreshEnv(t, refreshPolicies(), nil, nil)
	rt := e.mustLogin("ci", "id-token-42")
	if ev := e.lastEvent(); ev.Refresh != RefreshIssued || ev.RefreshID == "" {
		t.Fatalf("login event refresh = %q id %q, want issued with an id", ev.Refresh, ev.RefreshID)
	}
	e.advance(100 * time.Second) // the ID token expired 10 s ago
	calls := e.ci.calls
	w := e.redeem(rt, "registry.test", "go-containerregistry", "repository:org/app/img:push,pull")
	body, claims, _ := decodeToken(t, w, e.key)
	if got := granted(claims); got != "repository:org/app/img:pull,push" {
		t.Errorf("granted %q", got)
	}
	if claims.Subject != "repo:org/app:ref:refs/heads/main" {
		t.Errorf("sub %q", claims.Subject)
	}
	if body.Scope != "repository:org/app/img:pull,push" {
		t.Errorf("scope %q", body.Scope)
	}
	if !strings.Contains(w.Body.String(), `"refresh_token":"`+rt+`"`) {
		t.Error("a refresh grant must echo the same refresh token")
	}
	if e.ci.calls != calls {
		t.Error("an identity-mode redemption asked the provider")
	}
	if ev := e.lastEvent(); ev.Refresh != RefreshRedeemed || ev.Provider != "ci" {
		t.Errorf("redeem event refresh=%q provider=%q", ev.Refresh, ev.Provider)
	}
}

func TestARefreshTokenIsRefusedAsARegistryToken(t *testing.T) {
	e := newRefreshEnv(t, refreshPolicies(), nil, nil)
	rt := e.mustLogin("ci", "id-token-42")
	if strings.Count(rt, ".") != 4 {
		t.Fatalf("a refresh token is a compact JWE of five parts, got %d dots", strings.Count(rt, "."))
	}
	algs := []jose.SignatureAlgorithm{jose.ES256, jose.RS256, jose.ES384, jose.ES512, jose.PS256, jose.EdDSA}
	if _, err := jose.ParseSignedCompact(rt, algs); err == nil {
		t.Fatal("a refresh token parses as a JWS: a registry could take it for a registry token")
	}
	if _, _, err := PeekIssuer(rt); err != nil {
		t.Fatalf("peek: %v", err)
	}
}

func TestARefreshTokenIsNeverSentToAProviderAsAPasswordOrBearer(t *testing.T) {
	e := newRefreshEnv(t, refreshPolicies(), nil, nil)
	rt := e.mustLogin("ci", "id-token-42")
	ciCalls, userCalls := e.ci.calls, e.users.calls.Load()
	for _, tc := range []struct{ name, user, auth string }{
		{"as the Basic password of the CI user", "ci", ""},
		{"as the Basic password of a static user", "alice", ""},
		{"as a bearer token", "", "Bearer " + rt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/token?service=registry.test&scope=repository:org/app/img:pull", nil)
			if tc.auth != "" {
				r.Header.Set("Authorization", tc.auth)
			} else {
				r.SetBasicAuth(tc.user, rt)
			}
			w := httptest.NewRecorder()
			e.srv.ServeHTTP(w, r)
			e.refusedWith(w, "refresh_as_credential")
		})
	}
	if e.ci.calls != ciCalls || e.users.calls.Load() != userCalls {
		t.Error("a refresh token reached a provider")
	}
}

func TestARefreshTokenIsRefusedWithAClearReason(t *testing.T) {
	cases := []struct {
		name   string
		reason string
		setup  func(e *refreshEnv, rt string) (string, string, string) // token, service, client_id
	}{
		{"for another service", "refresh_wrong_service", func(e *refreshEnv, rt string) (string, string, string) {
			return rt, "other.test", "docker"
		}},
		{"after refresh_ttl", "refresh_expired", func(e *refreshEnv, rt string) (string, string, string) {
			for range 4 { // used every 25 minutes, so never idle
				e.advance(25 * time.Minute)
				if w := e.redeem(rt, "registry.test", "docker", ""); w.Code != http.StatusOK {
					e.t.Fatalf("redemption within refresh_ttl: %d %s", w.Code, w.Body)
				}
			}
			e.advance(25 * time.Minute) // 2 h 5 min after the login
			return rt, "registry.test", "docker"
		}},
		{"after the idle timeout", "refresh_idle", func(e *refreshEnv, rt string) (string, string, string) {
			e.advance(31 * time.Minute)
			return rt, "registry.test", "docker"
		}},
		{"after the operator revoked its subject", "refresh_revoked", func(e *refreshEnv, rt string) (string, string, string) {
			e.advance(time.Second)
			if err := RevokeRefresh(context.Background(), e.store, Revocation{Provider: "ci", Subject: "repo:org/app:ref:refs/heads/main"}, e.clock()); err != nil {
				e.t.Fatal(err)
			}
			return rt, "registry.test", "docker"
		}},
		{"after the operator revoked its CI run", "refresh_revoked", func(e *refreshEnv, rt string) (string, string, string) {
			if err := RevokeRefresh(context.Background(), e.store, Revocation{Provider: "ci", Claim: "run_id", Value: "42"}, e.clock()); err != nil {
				e.t.Fatal(err)
			}
			return rt, "registry.test", "docker"
		}},
		{"after the operator revoked its id", "refresh_revoked", func(e *refreshEnv, rt string) (string, string, string) {
			id := e.lastEvent().RefreshID
			if err := RevokeRefresh(context.Background(), e.store, Revocation{TokenID: id}, e.clock()); err != nil {
				e.t.Fatal(err)
			}
			return rt, "registry.test", "docker"
		}},
		{"when made up", "refresh_malformed", func(e *refreshEnv, rt string) (string, string, string) {
			return "rt-made-up", "registry.test", "docker"
		}},
		{"when one character is changed", "refresh_malformed", func(e *refreshEnv, rt string) (string, string, string) {
			i := len(rt) - 10
			c := byte('A')
			if rt[i] == 'A' {
				c = 'B'
			}
			return rt[:i] + string(c) + rt[i+1:], "registry.test", "docker"
		}},
		{"when sealed by a key this server does not have", "refresh_malformed", func(e *refreshEnv, rt string) (string, string, string) {
			other := newRefreshEnv(e.t, refreshPolicies(), nil, freshKey(e.t))
			return other.mustLogin("ci", "id-token-42"), "registry.test", "docker"
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newRefreshEnv(t, refreshPolicies(), nil, nil)
			rt := e.mustLogin("ci", "id-token-42")
			tok, svc, cid := tc.setup(e, rt)
			e.refusedWith(e.redeem(tok, svc, cid, "repository:org/app/img:pull"), tc.reason)
			if ev := e.lastEvent(); ev.Refresh != RefreshRefused {
				t.Errorf("event refresh %q, want refused", ev.Refresh)
			}
		})
	}
}

func TestALoginAfterARevocationGetsAWorkingRefreshToken(t *testing.T) {
	e := newRefreshEnv(t, refreshPolicies(), nil, nil)
	old := e.mustLogin("ci", "id-token-42")
	if err := RevokeRefresh(context.Background(), e.store, Revocation{Provider: "ci", Claim: "run_id", Value: "42"}, e.clock()); err != nil {
		t.Fatal(err)
	}
	e.advance(time.Second)
	fresh := e.mustLogin("ci", "id-token-42")
	e.refusedWith(e.redeem(old, "registry.test", "docker", ""), "refresh_revoked")
	if w := e.redeem(fresh, "registry.test", "docker", ""); w.Code != http.StatusOK {
		t.Fatalf("the token of the new login: %d %s", w.Code, w.Body)
	}
}

func TestAPolicyChangeBetweenLoginAndRedemptionNarrowsTheNextToken(t *testing.T) {
	e := newRefreshEnv(t, refreshPolicies(), nil, nil)
	rt := e.mustLogin("ci", "id-token-42")
	e.srv.Swap(e.srv.State().WithPolicy(parseRefreshPolicy(t, refreshNarrowedYAML)), "test")
	_, claims, _ := decodeToken(t, e.redeem(rt, "registry.test", "docker", "repository:org/app/img:push,pull"), e.key)
	if got := granted(claims); got != "repository:org/app/img:pull" {
		t.Errorf("granted %q after push was taken away, want pull only", got)
	}
}

func TestARedeemedTokenNeverOutlivesTheRefreshToken(t *testing.T) {
	pols := refreshPolicies()
	e := newRefreshEnv(t, pols, nil, nil)
	rt := e.mustLogin("ci", "id-token-42")
	for range 4 {
		e.advance(25 * time.Minute)
		e.redeem(rt, "registry.test", "docker", "")
	}
	e.advance(18 * time.Minute) // 1 h 58 min after the login: 2 min left
	_, claims, _ := decodeToken(t, e.redeem(rt, "registry.test", "docker", "repository:org/app/img:pull"), e.key)
	end := testNow.Add(pols["ci"].TTL).Unix()
	if claims.Expiry > end {
		t.Errorf("registry token exp %d is past the refresh token's end %d", claims.Expiry, end)
	}
	t.Run("and a shorter refresh_ttl after a reload shortens tokens already issued", func(t *testing.T) {
		e := newRefreshEnv(t, pols, nil, nil)
		rt := e.mustLogin("ci", "id-token-42")
		short := pols
		short["ci"] = RefreshPolicy{Enabled: true, TTL: 20 * time.Minute, Idle: 10 * time.Minute, Mode: RefreshIdentity}
		cfg := e.cfg
		cfg.Refresh = short
		st, err := NewState(cfg)
		if err != nil {
			t.Fatal(err)
		}
		e.srv.Swap(st, "test")
		e.advance(9 * time.Minute)
		e.redeem(rt, "registry.test", "docker", "")
		e.advance(12 * time.Minute)
		e.refusedWith(e.redeem(rt, "registry.test", "docker", ""), "refresh_expired")
	})
}

func TestRefreshTokensFollowTheProviderPolicy(t *testing.T) {
	t.Run("a provider without refresh issues none and says so in the event", func(t *testing.T) {
		e := newRefreshEnv(t, map[string]RefreshPolicy{}, nil, nil)
		w := e.login("ci", "id-token-42")
		if w.Code != http.StatusOK || strings.Contains(w.Body.String(), "refresh_token") {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		if ev := e.lastEvent(); ev.Refresh != RefreshNotOffered {
			t.Errorf("event refresh %q, want not_offered", ev.Refresh)
		}
	})
	t.Run("a login without offline_token gets none", func(t *testing.T) {
		e := newRefreshEnv(t, refreshPolicies(), nil, nil)
		w := e.srv
		r := httptest.NewRequest(http.MethodGet, "/token?service=registry.test", nil)
		r.SetBasicAuth("ci", "id-token-42")
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), "refresh_token") {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
	})
	t.Run("a POST password grant with access_type=offline gets one", func(t *testing.T) {
		e := newRefreshEnv(t, refreshPolicies(), nil, nil)
		w := e.post(t, "grant_type=password&username=ci&password=id-token-42&access_type=offline&service=registry.test&client_id=docker")
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"refresh_token":"`) {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	})
	t.Run("a refresh token of a provider whose refresh was turned off is refused", func(t *testing.T) {
		e := newRefreshEnv(t, refreshPolicies(), nil, nil)
		rt := e.mustLogin("ci", "id-token-42")
		cfg := e.cfg
		cfg.Refresh = map[string]RefreshPolicy{}
		st, err := NewState(cfg)
		if err != nil {
			t.Fatal(err)
		}
		e.srv.Swap(st, "test")
		e.refusedWith(e.redeem(rt, "registry.test", "docker", ""), "refresh_disabled")
	})
	t.Run("bind_client_id refuses another client", func(t *testing.T) {
		pols := refreshPolicies()
		p := pols["ci"]
		p.BindClientID = true
		pols["ci"] = p
		e := newRefreshEnv(t, pols, nil, nil)
		rt := e.mustLogin("ci", "id-token-42")
		e.refusedWith(e.redeem(rt, "registry.test", "oras-go", ""), "refresh_wrong_client")
		if w := e.redeem(rt, "registry.test", "docker", ""); w.Code != http.StatusOK {
			t.Errorf("the login's own client_id: %d %s", w.Code, w.Body)
		}
	})
	t.Run("an anonymous request never gets one", func(t *testing.T) {
		e := newRefreshEnv(t, refreshPolicies(), nil, nil)
		w := httptestGet(e.srv, "/token?service=registry.test&offline_token=true")
		if w.Code != http.StatusOK || strings.Contains(w.Body.String(), "refresh_token") {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	})
}

func TestACredentialModeRefreshTokenStopsWhenTheUpstreamRefusesTheCredential(t *testing.T) {
	e := newRefreshEnv(t, refreshPolicies(), nil, nil)
	rt := e.mustLogin("alice", "alice-pw")
	if w := e.redeem(rt, "registry.test", "docker", "repository:alice/app:push"); w.Code != http.StatusOK {
		t.Fatalf("redeem: %d %s", w.Code, w.Body)
	}
	e.users.mu.Lock()
	e.users.users["alice"] = "changed"
	e.users.mu.Unlock()
	e.advance(61 * time.Second) // past the credential cache TTL
	e.refusedWith(e.redeem(rt, "registry.test", "docker", "repository:alice/app:push"), "refresh_upstream_refused")
}

func TestTheRefreshTokenNeverAppearsInTheLogOrTheAuditLine(t *testing.T) {
	e := newRefreshEnv(t, refreshPolicies(), nil, nil)
	rt := e.mustLogin("ci", "id-token-42")
	e.redeem(rt, "registry.test", "docker", "repository:org/app/img:pull")
	e.redeem(rt, "other.test", "docker", "")
	r := httptest.NewRequest(http.MethodGet, "/token?service=registry.test", nil)
	r.SetBasicAuth("ci", rt)
	e.srv.ServeHTTP(httptest.NewRecorder(), r)
	log := e.log.String()
	for i, part := range strings.Split(rt, ".") {
		if len(part) > 8 && strings.Contains(log, part) {
			t.Errorf("part %d of the refresh token appears in the log", i)
		}
	}
	for _, want := range []string{`"refresh":"issued"`, `"refresh":"redeemed"`, `"refresh":"refused"`, `"reason":"refresh_as_credential"`} {
		if !strings.Contains(log, want) {
			t.Errorf("the audit log has no %s", want)
		}
	}
}

func TestARefreshTokenSealedBeforeAKeyRotationIsAcceptedWhileTheOldKeyIsConfigured(t *testing.T) {
	oldKey := testKey(t)
	e := newRefreshEnv(t, refreshPolicies(), nil, oldKey)
	rt := e.mustLogin("ci", "id-token-42")
	newKey := freshKey(t)
	cfg := e.cfg
	cfg.Keys = []*signing.Key{newKey, oldKey}
	st, err := NewState(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.srv.Swap(st, "rotation")
	decodeToken(t, e.redeem(rt, "registry.test", "docker", ""), newKey)
	cfg.Keys = []*signing.Key{newKey}
	st, err = NewState(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.srv.Swap(st, "old key removed")
	e.refusedWith(e.redeem(rt, "registry.test", "docker", ""), "refresh_malformed")
}
