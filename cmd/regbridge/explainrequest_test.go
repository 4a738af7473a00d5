package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// lastAuditRecord is the last record of the audit file at path.
func lastAuditRecord(t *testing.T, path string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

func TestExplainRequestIDShowsTheRecordedDecisionAndTheSameRequestUnderTodaysPolicy(t *testing.T) {
	audit := filepath.Join(t.TempDir(), "audit.log")
	url, _, dir := auditBridge(t, "{audit: "+audit+"}")
	cfg := filepath.Join(dir, "config.yaml")

	// A push the policy does not grant: the token carries pull only.
	if status, body := tokenStatus(t, url+"/token?service=registry.example.com&scope=repository:team/app:pull,push", "alice", "pw"); status != http.StatusOK {
		t.Fatalf("status %d: %v", status, body)
	}
	id := lastAuditRecord(t, audit)["request_id"].(string)

	out, err := run(t, "explain", "--config", cfg, "--request-id", id)
	if err != nil {
		t.Fatalf("explain: %v\n%s", err, out)
	}
	for _, want := range []string{
		"request " + id,
		"identity:  users:alice",
		"requested: repository:team/app:pull,push",
		"granted:   repository:team/app:pull\n",
		"rules:     team",
		"outcome:   issued (200)",
		"under the policy in force now",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}

	// The policy grants push now: the recorded decision stays, today's changes.
	if err := os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte(strings.Replace(auditPolicy, "[pull]", "[pull, push]", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = run(t, "explain", "--config", cfg, "--request-id", id, "--json")
	if err != nil {
		t.Fatalf("explain --json: %v\n%s", err, out)
	}
	var got requestExplanation
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if strings.Join(got.Recorded.Granted, " ") != "repository:team/app:pull" {
		t.Errorf("recorded granted = %v", got.Recorded.Granted)
	}
	if got.Now == nil || strings.Join(got.Now.Granted, " ") != "repository:team/app:pull,push" {
		t.Errorf("now = %+v", got.Now)
	}
}

func TestExplainRequestIDOfARefusalNamesTheReasonWithoutDecidingAgain(t *testing.T) {
	audit := filepath.Join(t.TempDir(), "audit.log")
	url, _, dir := auditBridge(t, "{audit: "+audit+"}")
	status, body := tokenStatus(t, url+"/token?service=registry.example.com&scope=repository:team/app:pull", "alice", "wrong")
	if status != http.StatusUnauthorized {
		t.Fatalf("status %d: %v", status, body)
	}
	// The id the client saw is the one to look up.
	id, _ := body["request_id"].(string)
	if id == "" {
		t.Fatalf("no request_id in the refusal: %v", body)
	}
	out, err := run(t, "explain", "--config", filepath.Join(dir, "config.yaml"), "--request-id", id)
	if err != nil {
		t.Fatalf("explain: %v\n%s", err, out)
	}
	for _, want := range []string{"outcome:   rejected (401), reason invalid_credential", "Not decided again: the request was refused before it had an identity"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

func TestExplainRequestIDRefusesWhatItCannotAnswer(t *testing.T) {
	audit := filepath.Join(t.TempDir(), "audit.log")
	_, _, dir := auditBridge(t, "{audit: "+audit+"}")
	cfg := filepath.Join(dir, "config.yaml")
	os.WriteFile(audit, nil, 0o600)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--request-id", "0123456789abcdef"}, "is not in " + audit + " (0 records read)"},
		{[]string{"--request-id", "nope"}, "a request id is the 16 hex digits"},
		{[]string{"--request-id", "0123456789abcdef", "repository:a/b:pull"}, "name no SCOPE"},
		{[]string{"--request-id", "0123456789abcdef", "--username", "alice"}, "come from the audit record"},
		{[]string{"--request-id", "0123456789abcdef", "--audit", filepath.Join(dir, "missing.log")}, "no such file"},
	} {
		out, err := run(t, append([]string{"explain", "--config", cfg}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("explain %v: err %v, want %q\n%s", tc.args, err, tc.want, out)
		}
	}
	if _, err := run(t, "explain", "--policy", filepath.Join(dir, "policy.yaml"), "--request-id", "0123456789abcdef"); err == nil || !strings.Contains(err.Error(), "--audit FILE") {
		t.Errorf("without a configuration or --audit: %v", err)
	}
}

func TestExplainRequestIDReadsRotatedCompressedFilesAndSkipsFragments(t *testing.T) {
	audit := filepath.Join(t.TempDir(), "audit.log")
	url, _, dir := auditBridge(t, "{audit: "+audit+"}")
	if status, body := tokenStatus(t, url+"/token?service=registry.example.com&scope=repository:team/app:pull", "alice", "pw"); status != http.StatusOK {
		t.Fatalf("status %d: %v", status, body)
	}
	id := lastAuditRecord(t, audit)["request_id"].(string)
	raw, _ := os.ReadFile(audit)
	// A fragment left by a full disk, a line far over any record, then the record.
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	gz.Write([]byte(`{"time":"2026-01-01T00:00:00Z","request_id":"` + id + `","cli` + "\n"))
	gz.Write(append(bytes.Repeat([]byte("x"), maxAuditLine+10), '\n'))
	gz.Write(raw)
	gz.Close()
	rotated := audit + ".1.gz"
	os.WriteFile(rotated, buf.Bytes(), 0o600)
	out, err := run(t, "explain", "--config", filepath.Join(dir, "config.yaml"), "--request-id", id, "--audit", rotated)
	if err != nil || !strings.Contains(out, "outcome:   issued (200)") {
		t.Fatalf("explain: %v\n%s", err, out)
	}
}

func FuzzScanAudit(f *testing.F) {
	f.Add([]byte(`{"request_id":"0123456789abcdef","requested":["repository:a/b:pull"]}`+"\n"), "0123456789abcdef")
	f.Add([]byte("\n\n{\"request_id\":\"0123456789abcdef\"\n"), "0123456789abcdef")
	f.Fuzz(func(t *testing.T, data []byte, id string) {
		if !validRequestID(id) {
			return
		}
		rec, n, err := scanAudit(bufio.NewReader(bytes.NewReader(data)), id)
		if err != nil {
			t.Fatalf("a bytes reader never fails: %v", err)
		}
		if rec != nil {
			if rec.RequestID != id {
				t.Fatalf("record of %q for %q", rec.RequestID, id)
			}
			recordedScopes(rec)
		}
		if n < 0 || n > bytes.Count(data, []byte("\n"))+1 {
			t.Fatalf("%d records in %d lines", n, bytes.Count(data, []byte("\n")))
		}
	})
}

func TestExplainRequestIDOfATokenProviderDecidesAgainWithTheClaimsGiven(t *testing.T) {
	dir := t.TempDir()
	audit := filepath.Join(dir, "audit.log")
	rec := `{"time":"2026-12-07T06:40:12Z","request_id":"3f9c2a71d04b8e65","client_addr":"10.0.3.7:51344","endpoint":"token","service":"registry.example.com","provider":"github","anonymous":false,"subject":"repo:Org/App:ref:refs/heads/main","requested":["repository:ci/org/app:pull,push"],"granted":["repository:ci/org/app:pull"],"rules":["ci-read"],"dropped":[],"outcome":"issued","status":200,"reason":"","credential_hash":"0011223344556677","cache_hit":false,"reused":false,"refresh":"","refresh_id":"","upstream_ms":0,"latency_ms":1.2}`
	os.WriteFile(audit, []byte(rec+"\n"), 0o600)
	policy := "../../testdata/policies/github-actions.yaml"
	args := []string{"explain", "--policy", policy, "--audit", audit, "--request-id", "3f9c2a71d04b8e65"}

	out, err := run(t, args...)
	if err != nil || !strings.Contains(out, `Not decided again: the audit log keeps the subject of provider "github", not its groups or claims`) {
		t.Fatalf("without claims: %v\n%s", err, out)
	}
	claims := filepath.Join(dir, "job.json")
	os.WriteFile(claims, []byte(`{"repository":"Org/App","repository_owner_id":"1234567","event_name":"push","ref":"refs/tags/v1.0.0"}`), 0o600)
	out, err = run(t, append(args, "--claims", claims)...)
	if err != nil {
		t.Fatalf("with claims: %v\n%s", err, out)
	}
	for _, want := range []string{"granted:   repository:ci/org/app:pull\n", "repository:ci/org/app:pull,push\n\nresult", "ci-release"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}
