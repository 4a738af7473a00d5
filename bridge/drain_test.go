package bridge

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
)

func TestRefusalsDoNotWriteOneInfoLineEach(t *testing.T) {
	env := newTestEnv(t, testPolicy)
	for i := range 50 {
		if w := env.get(t, "service=registry.test", "alice", "wrong-"+string(rune('a'+i%26))); w.Code != http.StatusUnauthorized {
			t.Fatalf("status %d", w.Code)
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(env.logBuf.Bytes()))
	refused := 0
	for sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) != nil || rec["msg"] != "token request refused" {
			continue
		}
		refused++
		if rec["level"] != "DEBUG" {
			t.Fatalf("a refusal was logged at %v: %s", rec["level"], sc.Text())
		}
	}
	if refused != 50 {
		t.Fatalf("%d debug refusal lines, want 50", refused)
	}
	if n := len(env.events.ev); n != 50 {
		t.Fatalf("%d audit events, want one per decision (50)", n)
	}
}

func TestDrainingAnswersWithConnectionClose(t *testing.T) {
	env := newTestEnv(t, testPolicy)
	if w := env.get(t, "service=registry.test&scope=repository:public/a:pull", "", ""); w.Header().Get("Connection") != "" {
		t.Fatalf("Connection %q before draining", w.Header().Get("Connection"))
	}
	env.srv.StartDrain()
	w := env.get(t, "service=registry.test&scope=repository:public/a:pull", "", "")
	if w.Code != http.StatusOK || w.Header().Get("Connection") != "close" {
		t.Fatalf("draining: %d, Connection %q", w.Code, w.Header().Get("Connection"))
	}
	if w := httptestGet(env.srv, "/readyz"); w.Code != http.StatusServiceUnavailable || !contains(w.Body.String(), `"draining":true`) {
		t.Fatalf("readyz while draining: %d %s", w.Code, w.Body)
	}
}

func TestExpiredEntriesAreNotCountedAsEvictions(t *testing.T) {
	now := testNow
	c := NewCredentialCache(CacheConfig{Size: 2, TTL: time.Minute, NegativeTTL: time.Second}, func() time.Time { return now })
	reg := &Registered{ID: "users", Provider: &fakeProvider{users: map[string]string{"a": "1", "b": "2", "c": "3"}}}
	auth := func(user, pw string) {
		if _, _, err := c.Authenticate(context.Background(), reg, providers.Credential{Scheme: providers.SchemeBasic, Username: user, Secret: providers.Secret(pw)}); err != nil {
			t.Fatal(err)
		}
	}
	auth("a", "1")
	now = now.Add(2 * time.Minute)
	auth("a", "1") // expired: dropped and asked again
	if st := c.Stats(); st.Expiries != 1 || st.Evictions != 0 {
		t.Fatalf("after an expiry: %+v", st)
	}
	auth("b", "2")
	auth("c", "3") // the cache holds two: one entry makes room
	if st := c.Stats(); st.Expiries != 1 || st.Evictions != 1 {
		t.Fatalf("after a capacity eviction: %+v", st)
	}
}

func TestTokenResponsesStateTheirLength(t *testing.T) {
	env := newTestEnv(t, testPolicy)
	w := env.get(t, "service=registry.test&scope=repository:public/a:pull", "", "")
	if got, want := w.Header().Get("Content-Length"), strconv.Itoa(w.Body.Len()); got != want {
		t.Fatalf("Content-Length %q, body %s bytes", got, want)
	}
}
