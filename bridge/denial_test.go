package bridge

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// logLines are the JSON log records of e with message msg.
func logLines(t *testing.T, e *testEnv, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(e.logBuf.String()))
	for sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

func TestADroppedScopeIsLoggedAtInfoWithTheRuleAndConditionUnderTheRequestID(t *testing.T) {
	for _, tc := range []struct {
		name, query, user, pass string
		wantNot, wantWhy        string
	}{
		{"an anonymous push to a public repository", "service=registry.test&scope=repository:public/a:pull,push", "", "",
			"repository:public/a:push", "rule public-pull (line 3) grants only pull"},
		{"an anonymous pull of a private repository", "service=registry.test&scope=repository:alice/app:pull", "", "",
			"repository:alice/app:pull", "rule alice-own (line 7): who: the request is anonymous"},
		{"bob pushing into alice's namespace", "service=registry.test&scope=repository:alice/app:push", "bob", "bob-pw",
			"repository:alice/app:push", `rule alice-own (line 7): username: \"bob\" is not \"alice\"`},
		{"a repository no rule names", "service=registry.test&scope=repository:other/x:pull", "bob", "bob-pw",
			"repository:other/x:pull", "no rule's items name it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t, testPolicy)
			w := e.get(t, tc.query, tc.user, tc.pass)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			lines := logLines(t, e, "scope not granted")
			if len(lines) != 1 {
				t.Fatalf("%d \"scope not granted\" lines, want 1:\n%s", len(lines), e.logBuf)
			}
			rec := lines[0]
			if rec["level"] != "INFO" || rec["request_id"] != e.events.ev[0].RequestID {
				t.Fatalf("level %v request_id %v, want INFO and the event's %q", rec["level"], rec["request_id"], e.events.ev[0].RequestID)
			}
			raw, _ := json.Marshal(rec)
			if !strings.Contains(string(raw), tc.wantNot) || !strings.Contains(string(raw), tc.wantWhy) {
				t.Fatalf("log line does not name %q and %q:\n%s", tc.wantNot, tc.wantWhy, raw)
			}
		})
	}
}

func TestAFullyGrantedRequestLogsNoDenial(t *testing.T) {
	e := newTestEnv(t, testPolicy)
	e.get(t, "service=registry.test&scope=repository:alice/app:pull,push", "alice", "alice-pw")
	e.get(t, "service=registry.test", "", "")
	if lines := logLines(t, e, "scope not granted"); len(lines) != 0 {
		t.Fatalf("denial logged for granted requests:\n%s", e.logBuf)
	}
}

func TestARefusalShowsTheClientTheRequestIDButNoPolicyOrSecret(t *testing.T) {
	e := newTestEnv(t, testPolicy)
	w := e.get(t, "service=registry.test&scope=repository:alice/app:pull", "alice", "hunter2-wrong")
	if w.Code != http.StatusUnauthorized {
		t.Fatalf("status %d", w.Code)
	}
	var body errorBody
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	id := e.events.ev[0].RequestID
	want := "(request id " + id + ")"
	if len(body.Errors) != 1 || !strings.Contains(body.Errors[0].Message, want) || !strings.Contains(body.Details, want) || body.RequestID != id {
		t.Fatalf("the client cannot quote the request id %s: %s", id, w.Body)
	}
	for _, leak := range []string{"hunter2-wrong", "alice-own", "public-pull", "rule"} {
		if strings.Contains(w.Body.String(), leak) {
			t.Errorf("the refusal shows %q: %s", leak, w.Body)
		}
	}
}
