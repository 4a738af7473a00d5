package bridge

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/regbridge/regbridge/providers"
)

// observePolicy adds a deny rule that answers 403 to testPolicy.
const observePolicy = testPolicy + `  - id: no-secret
    effect: deny
    who: anyone
    deny:
      - {repository: "public/secret", actions: ["*"]}
    respond: forbidden
    reason: public/secret is closed
`

// auditFields are the documented fields of an audit line (docs/observability.md).
var auditFields = []string{"time", "request_id", "client_addr", "endpoint", "service", "provider", "anonymous",
	"subject", "requested", "granted", "rules", "dropped", "outcome", "status", "reason", "credential_hash",
	"cache_hit", "reused", "refresh", "refresh_id", "upstream_ms", "latency_ms"}

// auditEnv is a test server whose only observer is an audit log into buf.
func auditEnv(t *testing.T) (*testEnv, *bytes.Buffer) {
	t.Helper()
	env := newTestEnv(t, observePolicy)
	var buf bytes.Buffer
	env.srv.opts.Observer = NewAuditLog(&buf)
	return env, &buf
}

func TestAuditLogWritesExactlyOneLinePerOutcomeKind(t *testing.T) {
	cases := []struct {
		name, query, user, pass string
		unavailable             bool
		status                  int
		outcome                 Outcome
		reason                  string
		check                   func(t *testing.T, m map[string]any)
	}{
		{"an issued token names the subject, the rule and the grant", "service=registry.test&scope=repository:alice/app:push,pull",
			"alice", "alice-pw", false, 200, OutcomeIssued, "", func(t *testing.T, m map[string]any) {
				wantField(t, m, "subject", "alice")
				wantField(t, m, "provider", "users")
				wantField(t, m, "granted", []any{"repository:alice/app:pull,push"})
				wantField(t, m, "rules", []any{"alice-own"})
				wantField(t, m, "cache_hit", false)
				if h, _ := m["credential_hash"].(string); len(h) != 16 {
					t.Errorf("credential_hash = %q, want 16 hex digits", h)
				}
			}},
		{"an anonymous token is marked anonymous", "service=registry.test&scope=repository:public/app:pull",
			"", "", false, 200, OutcomeIssued, "", func(t *testing.T, m map[string]any) {
				wantField(t, m, "anonymous", true)
				wantField(t, m, "credential_hash", "")
				wantField(t, m, "granted", []any{"repository:public/app:pull"})
			}},
		{"a wrong password is rejected as invalid_credential", "service=registry.test&scope=repository:alice/app:pull",
			"alice", "wrong-pw", false, 401, OutcomeRejected, "invalid_credential", func(t *testing.T, m map[string]any) {
				wantField(t, m, "granted", []any{})
				wantField(t, m, "requested", []any{"repository:alice/app:pull"})
			}},
		{"an unknown service is rejected as bad_request", "service=other&scope=repository:alice/app:pull",
			"", "", false, 400, OutcomeRejected, "bad_request", nil},
		{"a deny rule answering 403 is forbidden", "service=registry.test&scope=repository:public/secret:pull",
			"", "", false, 403, OutcomeForbidden, "forbidden", func(t *testing.T, m map[string]any) {
				wantField(t, m, "rules", []any{"no-secret"})
			}},
		{"an unreachable provider is an error", "service=registry.test&scope=repository:alice/app:pull",
			"alice", "alice-pw", true, 503, OutcomeError, "upstream_unavailable", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env, buf := auditEnv(t)
			if tc.unavailable {
				env.prov.err = fmt.Errorf("fake: down: %w", providers.ErrUnavailable)
			}
			w := env.get(t, tc.query, tc.user, tc.pass)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
			if len(lines) != 1 {
				t.Fatalf("got %d audit lines, want exactly 1:\n%s", len(lines), buf)
			}
			m := map[string]any{}
			if err := json.Unmarshal([]byte(lines[0]), &m); err != nil {
				t.Fatalf("audit line is not JSON: %v\n%s", err, lines[0])
			}
			for _, f := range auditFields {
				if _, ok := m[f]; !ok {
					t.Errorf("audit line lacks field %q: %s", f, lines[0])
				}
			}
			if len(m) != len(auditFields) {
				t.Errorf("audit line has %d fields, want the %d documented ones: %s", len(m), len(auditFields), lines[0])
			}
			wantField(t, m, "outcome", string(tc.outcome))
			wantField(t, m, "status", float64(tc.status))
			wantField(t, m, "reason", tc.reason)
			wantField(t, m, "endpoint", "token")
			if id, _ := m["request_id"].(string); id == "" || tc.status != 200 && !strings.Contains(w.Body.String(), id) {
				t.Errorf("request_id %q is empty or not the one in the error response", id)
			}
			if tc.check != nil {
				tc.check(t, m)
			}
		})
	}
}

func wantField(t *testing.T, m map[string]any, key string, want any) {
	t.Helper()
	got := m[key]
	if gs, ok := got.([]any); ok {
		ws, _ := want.([]any)
		if !slices.Equal(gs, ws) {
			t.Errorf("%s = %v, want %v", key, got, want)
		}
		return
	}
	if got != want {
		t.Errorf("%s = %#v, want %#v", key, got, want)
	}
}

func TestAuditLogNeverContainsPasswordOrToken(t *testing.T) {
	const secret = "s3cr3t-Pa55word-4-audit"
	env, buf := auditEnv(t)
	env.prov.users["carol"] = secret
	var tokens []string
	requests := []struct{ user, pass, query string }{
		{"carol", secret, "service=registry.test&scope=repository:public/app:pull"},
		{"carol", secret, "service=registry.test&scope=repository:public/app:pull"},
		{"carol", secret + "-wrong", "service=registry.test&scope=repository:public/app:pull"},
		{"alice", secret, "service=registry.test&scope=repository:alice/app:push"},
		{"carol", secret, "service=nope"},
	}
	for _, rq := range requests {
		w := env.get(t, rq.query, rq.user, rq.pass)
		var body tokenBody
		if json.Unmarshal(w.Body.Bytes(), &body) == nil && body.Token != "" {
			tokens = append(tokens, body.Token)
		}
	}
	// A bearer token from the request goes through the router, is refused,
	// and must not appear either.
	r := httptest.NewRequest(http.MethodGet, "/token?service=registry.test", nil)
	r.Header.Set("Authorization", "Bearer "+secret)
	env.srv.ServeHTTP(httptest.NewRecorder(), r)

	if len(tokens) != 2 {
		t.Fatalf("got %d tokens, want 2", len(tokens))
	}
	out := buf.String()
	if n := strings.Count(out, "\n"); n != len(requests)+1 {
		t.Fatalf("got %d audit lines, want %d", n, len(requests)+1)
	}
	secrets := map[string]string{
		"password":          secret,
		"basic credentials": base64.StdEncoding.EncodeToString([]byte("carol:" + secret)),
	}
	for i, tok := range tokens {
		secrets[fmt.Sprintf("token %d", i)] = tok
		secrets[fmt.Sprintf("signature of token %d", i)] = strings.Split(tok, ".")[2]
	}
	for name, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("the audit log contains the %s", name)
		}
	}
}

func TestAuditLineOfAnEmptyEventHasNoNullLists(t *testing.T) {
	b, err := json.Marshal(NewAuditLine(Event{}))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("null")) {
		t.Errorf("audit line has null fields: %s", b)
	}
}
