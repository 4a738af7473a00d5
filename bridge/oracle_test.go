package bridge

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/regbridge/regbridge/acl"
	"github.com/regbridge/regbridge/bridge/signing"
	"github.com/regbridge/regbridge/providers"
)

// oracleServer is a server with the real static provider (one account,
// "bench", password "right-pw"), metrics and an audit log.
func oracleServer(t *testing.T) (*Server, *Metrics, *bytes.Buffer) {
	t.Helper()
	pol, err := acl.Parse([]byte(benchPolicy(2)), "policy.yaml", acl.Options{Providers: map[string]providers.PolicyFacts{"users": {Type: "static", Claims: []string{"robot"}}}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := NewState(StateConfig{
		Services:  []Service{{Name: "registry.bench", Issuer: "regbridge-bench"}},
		Keys:      []*signing.Key{testKey(t)},
		Providers: []*Registered{{ID: "users", Provider: staticProvider(t, "right-pw", "bench")}},
		Policy:    pol,
		Cache:     NewCredentialCache(CacheConfig{}.WithDefaults(), time.Now),
	})
	if err != nil {
		t.Fatal(err)
	}
	m := NewMetrics()
	var audit bytes.Buffer
	srv := NewServer(st, Options{PublicURL: "http://127.0.0.1:5001", Observer: Observers{m, NewAuditLog(&syncWriter{w: &audit})}})
	return srv, m, &audit
}

// rejectedSeries returns the refusal counters that a request moved.
func rejectedSeries(t *testing.T, m *Metrics, do func()) []string {
	t.Helper()
	before := scrape(t, m)
	do()
	var moved []string
	for k, v := range scrape(t, m) {
		if strings.HasPrefix(k, "registry_token_rejected_total{") && before[k] != v {
			moved = append(moved, k)
		}
	}
	return moved
}

func TestMetricsNeverTellAnUnknownUsernameFromAWrongPassword(t *testing.T) {
	srv, m, audit := oracleServer(t)
	send := func(user, pass string) func() {
		return func() { srv.ServeHTTP(httptest.NewRecorder(), benchRequest(benchQuery, user, pass)) }
	}
	unknown := rejectedSeries(t, m, send("nobody", "guess-1"))
	known := rejectedSeries(t, m, send("bench", "guess-2"))
	if len(unknown) != 1 || len(known) != 1 || unknown[0] != known[0] {
		t.Errorf("an unknown name moved %v and a wrong password moved %v: a scraper learns which names exist", unknown, known)
	}
	var reasons []string
	for _, line := range strings.Split(strings.TrimSpace(audit.String()), "\n") {
		var l AuditLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatal(err)
		}
		reasons = append(reasons, l.Reason)
	}
	if strings.Join(reasons, " ") != ReasonUnknownAccount+" "+ReasonInvalidCredential {
		t.Errorf("audit reasons %v: the operator's log should keep the difference", reasons)
	}
}

func TestMetricsShowACredentialNoProviderClaimsAsAnInvalidCredential(t *testing.T) {
	if got := PublicReason(ReasonNoProvider); got != ReasonInvalidCredential {
		t.Errorf("no_provider is shown as %q", got)
	}
	if got := PublicReason(ReasonUnknownAccount); got != ReasonInvalidCredential {
		t.Errorf("unknown_account is shown as %q", got)
	}
	if got := PublicReason("forbidden"); got != "forbidden" {
		t.Errorf("forbidden is shown as %q", got)
	}
}
