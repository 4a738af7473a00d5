package bridge

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// reuseEnv is a test server with token reuse on and a movable clock.
func reuseEnv(t *testing.T, cfg ReuseConfig) (*testEnv, *time.Time) {
	t.Helper()
	env := newTestEnv(t, observePolicy)
	now := testNow
	env.srv.opts.Now = func() time.Time { return now }
	env.srv.reuse = newReuseCache(cfg)
	return env, &now
}

func TestTokenReuseIsOffByDefault(t *testing.T) {
	env := newTestEnv(t, testPolicy)
	a := env.get(t, "service=registry.test&scope=repository:alice/app:pull", "alice", "alice-pw")
	b := env.get(t, "service=registry.test&scope=repository:alice/app:pull", "alice", "alice-pw")
	if a.Body.String() == b.Body.String() {
		t.Fatal("two requests got the same token with reuse off")
	}
}

func TestTokenReuseHandsTheSameIdentityTheSameTokenWithinTheWindow(t *testing.T) {
	env, now := reuseEnv(t, ReuseConfig{Enabled: true, Window: 30 * time.Second})
	q := "service=registry.test&scope=repository:alice/app:pull"
	first, _, _ := decodeToken(t, env.get(t, q, "alice", "alice-pw"), env.key)
	*now = now.Add(20 * time.Second)
	w := env.get(t, q, "alice", "alice-pw")
	second, _, _ := decodeToken(t, w, env.key)
	if second.Token != first.Token {
		t.Fatal("the token was not reused within the window")
	}
	if second.ExpiresIn != 280 || second.IssuedAt != first.IssuedAt {
		t.Errorf("reused answer: expires_in %d issued_at %s, want 280 and the first issued_at %s", second.ExpiresIn, second.IssuedAt, first.IssuedAt)
	}
	if ev := env.events.ev[len(env.events.ev)-1]; !ev.Reused || ev.Outcome != OutcomeIssued {
		t.Errorf("event of the reused answer: reused=%v outcome=%s", ev.Reused, ev.Outcome)
	}
	*now = now.Add(11 * time.Second)
	if third, _, _ := decodeToken(t, env.get(t, q, "alice", "alice-pw"), env.key); third.Token == first.Token {
		t.Error("a token was reused after the window")
	}
}

func TestTokenReuseNeverCrossesIdentitiesOrAccess(t *testing.T) {
	env, _ := reuseEnv(t, ReuseConfig{Enabled: true})
	env.prov.users["alice2"] = "alice-pw"
	base, _, _ := decodeToken(t, env.get(t, "service=registry.test&scope=repository:public/app:pull", "alice", "alice-pw"), env.key)
	cases := []struct{ name, query, user, pass string }{
		{"another user with the same password", "service=registry.test&scope=repository:public/app:pull", "bob", "bob-pw"},
		{"another username with the same password", "service=registry.test&scope=repository:public/app:pull", "alice2", "alice-pw"},
		{"the same user asking for other access", "service=registry.test&scope=repository:public/other:pull", "alice", "alice-pw"},
		{"anonymous asking for the same access", "service=registry.test&scope=repository:public/app:pull", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, _, _ := decodeToken(t, env.get(t, tc.query, tc.user, tc.pass), env.key)
			if got.Token == base.Token {
				t.Fatal("a token minted for alice was handed to another identity or access")
			}
		})
	}
}

func TestTokenReuseNeedsMostOfTheLifetimeLeft(t *testing.T) {
	// With min_remaining 1 a token one second old has too little left.
	env, now := reuseEnv(t, ReuseConfig{Enabled: true, MinRemaining: 1})
	q := "service=registry.test&scope=repository:alice/app:pull"
	first := env.get(t, q, "alice", "alice-pw").Body.String()
	*now = now.Add(time.Second)
	if second := env.get(t, q, "alice", "alice-pw").Body.String(); tokenOf(t, second) == tokenOf(t, first) {
		t.Fatal("reused a token with less than min_remaining of its life left")
	}
}

func tokenOf(t *testing.T, body string) string {
	t.Helper()
	var b tokenBody
	if err := json.Unmarshal([]byte(body), &b); err != nil || b.Token == "" {
		t.Fatalf("no token in %s", body)
	}
	return b.Token
}

func TestReuseConfigValidateNamesEveryProblem(t *testing.T) {
	err := ReuseConfig{Enabled: true, Window: time.Hour, MinRemaining: 2, Size: -1}.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, key := range []string{"window:", "min_remaining:", "size:"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error %q does not name %s", err, key)
		}
	}
	if err := (ReuseConfig{Enabled: true}).WithDefaults().Validate(); err != nil {
		t.Errorf("defaults do not validate: %v", err)
	}
}
