package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const auditPolicy = `version: 1
rules:
  - id: team
    who: [users]
    grant: [{repository: "team/**", actions: [pull]}]
`

// auditBridge serves the users config with the given observability block.
func auditBridge(t *testing.T, observability string) (string, *runtime, string) {
	t.Helper()
	ts, rt, dir := startBridge(t, map[string]string{
		"config.yaml": reloadUsersConfig + "observability: " + observability + "\n",
		"policy.yaml": auditPolicy,
		"htpasswd":    "alice:" + bcryptHash(t, "pw") + "\n",
		"groups":      "team: alice\n",
	}, time.Now)
	t.Cleanup(func() { rt.obs.closeAudit() })
	return ts.URL, rt, dir
}

func TestAFailClosedAuditOnAFullDeviceAnswers503AndShowsInReadyz(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skipf("no /dev/full: %v", err)
	}
	url, _, _ := auditBridge(t, "{audit: /dev/full, audit_failure: fail_closed}")
	status, body := tokenStatus(t, url+"/token?service=registry.example.com&scope=repository:team/app:pull", "alice", "pw")
	if status != http.StatusServiceUnavailable || body["token"] != nil {
		t.Fatalf("status %d, want 503 and no token: %v", status, body)
	}
	resp, err := http.Get(url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ready struct {
		Audit map[string]any `json:"audit"`
	}
	json.NewDecoder(resp.Body).Decode(&ready)
	if ready.Audit["writing"] != false || ready.Audit["on_failure"] != "fail_closed" || ready.Audit["write_failures_total"] != float64(2) {
		t.Errorf("/readyz audit = %v", ready.Audit)
	}
}

func TestTheAuditFileIsReopenedOnSIGHUPSoLogrotateCanMoveIt(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	url, rt, _ := auditBridge(t, "{audit: "+path+"}")
	get := func() {
		if status, body := tokenStatus(t, url+"/token?service=registry.example.com&scope=repository:team/app:pull", "alice", "pw"); status != http.StatusOK {
			t.Fatalf("status %d: %v", status, body)
		}
	}
	get()
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	rt.obs.reopenAudit()
	get()
	old, _ := os.ReadFile(path + ".1")
	cur, _ := os.ReadFile(path)
	if strings.Count(string(old), "\n") != 1 || strings.Count(string(cur), "\n") != 1 {
		t.Errorf("rotated file %q and new file %q should hold one record each", old, cur)
	}
}

func TestAnUnknownAuditFailureModeIsAConfigError(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	os.WriteFile(path, []byte(reloadUsersConfig+"observability: {audit: stdout, audit_failure: closed}\n"), 0o600)
	_, err := loadConfig(path, nil)
	if err == nil || !strings.Contains(err.Error(), "observability.audit_failure") || !strings.Contains(err.Error(), "fail_closed") {
		t.Errorf("err = %v, want one naming observability.audit_failure and its values", err)
	}
}
