package bridge

import (
	"encoding/json"
	"net/http"
	"testing"
)

func TestAServerWithoutAStateIsNotReadyAndDoesNotPanic(t *testing.T) {
	srv := NewServer(nil, Options{})
	w := httptestGet(srv, "/readyz")
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503: %s", w.Code, w.Body)
	}
	var body map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body["ready"] != false {
		t.Fatalf("body %s (%v)", w.Body, err)
	}
}

func TestAReadyServerReportsItsKeysServicesProvidersAndPolicy(t *testing.T) {
	e := newTestEnv(t, testPolicy)
	w := httptestGet(e.srv, "/readyz")
	var body map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if w.Code != http.StatusOK || body["ready"] != true {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	for _, k := range []string{"keys", "services", "providers", "policy", "last_reload"} {
		if _, ok := body[k]; !ok {
			t.Errorf("no %q in %s", k, w.Body)
		}
	}
}
