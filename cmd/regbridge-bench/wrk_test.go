package main

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestWrkOutputIsReadFromTheScriptsLine(t *testing.T) {
	out := `Running 15s test @ http://127.0.0.1:5001
  2 threads and 16 connections
  70094 requests in 10.06s, 180.42MB read
Requests/sec:   6964.69
regbridge-bench-wrk: requests=70094 duration_us=10060000 p50_us=2040 p95_us=9000 p99_us=60920 max_us=156960 status=3 socket=1 invalid=5
`
	w, err := parseWrk(out)
	if err != nil {
		t.Fatal(err)
	}
	if w.Requests != 70094 || w.Elapsed != 10060*time.Millisecond || w.P50 != 2040*time.Microsecond ||
		w.P99 != 60920*time.Microsecond || w.Status != 3 || w.Socket != 1 || w.Invalid != 5 {
		t.Errorf("parsed %+v", w)
	}
	var r Result
	r.fillWrk(w)
	if r.Errors != 6 || r.Tokens != 70089 || r.P99MS != 60.92 {
		t.Errorf("errors %d tokens %d p99 %.2f: want 6 (5 invalid or non-200 + 1 socket), 70089, 60.92", r.Errors, r.Tokens, r.P99MS)
	}
}

func TestWrkOutputWithoutTheScriptsLineIsAnError(t *testing.T) {
	for _, out := range []string{"Requests/sec: 1\n", "regbridge-bench-wrk: requests=x\n", "regbridge-bench-wrk: requests\n"} {
		if _, err := parseWrk(out); err == nil {
			t.Errorf("parseWrk(%q): no error", out)
		}
	}
}

func TestWrkScriptsSendTheMixesCredentialAndCheckEveryBody(t *testing.T) {
	sp := loadSpec{Service: "registry.bench", Mix: MixStatic, User: "u", Password: "p", Scopes: 1}
	s, err := wrkScript(sp, "/token")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`wrk.path = "/token?scope=repository%3Abench%2Fapp0%3Apull&service=registry.bench"`,
		`wrk.headers["Authorization"] = "Basic dTpw"`, `function response(status, headers, body)`, wrkMarker} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %q:\n%s", want, s)
		}
	}
	if _, err := wrkScript(loadSpec{Mix: MixFresh, Users: 1}, "/token"); err == nil {
		t.Error("the fresh mix has no wrk script, but no error")
	}
	if path, err := exec.LookPath("luajit"); err == nil {
		cmd := exec.Command(path, "-bl", "-")
		cmd.Stdin = strings.NewReader(s)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("the script does not compile: %v\n%s", err, out)
		}
	}
}
