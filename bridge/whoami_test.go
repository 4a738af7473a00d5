package bridge

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

func (e *testEnv) whoami(t *testing.T, method, user, pass string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, WhoamiPath+"?service=registry.test", nil)
	if user != "" {
		r.SetBasicAuth(user, pass)
	}
	w := httptest.NewRecorder()
	e.srv.ServeHTTP(w, r)
	return w
}

func TestWhoamiShowsTheIdentityAndTheRulesThatApplyToIt(t *testing.T) {
	e := newTestEnv(t, testPolicy)
	w := e.whoami(t, http.MethodGet, "alice", "alice-pw")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var got whoamiResponse
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Anonymous || got.Provider != "users" || got.Subject != "alice" || got.Username != "alice" || got.Service != "registry.test" {
		t.Fatalf("identity %+v", got)
	}
	slices.Sort(got.Rules)
	if !slices.Equal(got.Rules, []string{"alice-own", "public-pull"}) {
		t.Fatalf("rules %v, want alice-own and public-pull (not admin-catalog)", got.Rules)
	}
	if strings.Contains(w.Body.String(), `"token"`) || strings.Contains(w.Body.String(), "alice-pw") {
		t.Fatalf("whoami answered with a token or the password: %s", w.Body)
	}
}

func TestWhoamiTellsAnAnonymousCallerNothingAboutThePolicy(t *testing.T) {
	e := newTestEnv(t, testPolicy)
	w := e.whoami(t, http.MethodGet, "", "")
	var got whoamiResponse
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != http.StatusOK {
		t.Fatalf("status %d %v: %s", w.Code, err, w.Body)
	}
	if !got.Anonymous || len(got.Rules) != 0 || strings.Contains(w.Body.String(), "public-pull") {
		t.Fatalf("anonymous whoami: %s", w.Body)
	}
}

func TestWhoamiRefusesABadCredentialAsATokenRequestWould(t *testing.T) {
	e := newTestEnv(t, testPolicy)
	w := e.whoami(t, http.MethodGet, "alice", "wrong")
	if w.Code != http.StatusUnauthorized || strings.Contains(w.Body.String(), `"subject"`) {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if len(e.events.ev) != 1 || e.events.ev[0].Endpoint != "whoami" || e.events.ev[0].Outcome != OutcomeRejected {
		t.Fatalf("the refusal was not recorded: %+v", e.events.ev)
	}
	if w := e.whoami(t, http.MethodPost, "alice", "alice-pw"); w.Code != http.StatusNotFound {
		t.Fatalf("POST /whoami: status %d", w.Code)
	}
}
