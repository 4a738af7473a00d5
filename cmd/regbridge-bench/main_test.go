package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// buildRegbridge compiles the server binary the smoke run spawns.
func buildRegbridge(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "regbridge")
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build regbridge: %v", err)
	}
	cmd := exec.Command(gobin, "build", "-o", bin, "github.com/regbridge/regbridge/cmd/regbridge")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build regbridge: %v\n%s", err, out)
	}
	return bin
}

func TestSmokeSuiteRunsEveryScenarioAndItsJSONParses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts regbridge")
	}
	bin := buildRegbridge(t)
	jsonPath := filepath.Join(t.TempDir(), "bench.json")
	var stdout, stderr bytes.Buffer
	err := run([]string{"--spawn", bin, "--suite", "--smoke", "--json", jsonPath, "--tmp", t.TempDir()}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	raw, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var rep Report
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("the JSON report does not parse: %v\n%s", err, raw)
	}
	if len(rep.Results) != len(readmeSuite(&options{})) {
		t.Fatalf("got %d results, want %d", len(rep.Results), len(readmeSuite(&options{})))
	}
	for _, r := range rep.Results {
		if r.Tokens == 0 || r.Errors != 0 {
			t.Errorf("%s: %d tokens, %d errors %v", r.Scenario, r.Tokens, r.Errors, r.ErrorsBy)
		}
		if r.SigCPUUS <= 0 || r.CPUPerTokenUS <= 0 || r.Ratio <= 0 || r.P99MS < r.P50MS {
			t.Errorf("%s: implausible measures: sig %.1f µs, cpu %.1f µs/token, ratio %.2f, p50 %.2f p99 %.2f",
				r.Scenario, r.SigCPUUS, r.CPUPerTokenUS, r.Ratio, r.P50MS, r.P99MS)
		}
		if r.SigAlg != "ES256" {
			t.Errorf("%s: signature algorithm %q, want ES256", r.Scenario, r.SigAlg)
		}
		switch {
		case r.Reuse && r.ReusedAnswers == 0:
			t.Errorf("%s: token_reuse on but no answer was reused", r.Scenario)
		case !r.Reuse && r.ReusedAnswers != 0:
			t.Errorf("%s: token_reuse off but %d answers repeated a token", r.Scenario, r.ReusedAnswers)
		}
	}
	if !strings.Contains(stdout.String(), "| cached static user | ") {
		t.Errorf("the table lacks the cached static user row:\n%s", stdout.String())
	}
}

func TestFlagsRefuseAmbiguousTargets(t *testing.T) {
	cases := []struct {
		name string
		args []string
	}{
		{"neither url nor spawn", nil},
		{"both url and spawn", []string{"--url", "http://127.0.0.1:1/token", "--spawn", "x"}},
		{"a suite without spawn", []string{"--url", "http://127.0.0.1:1/token", "--suite"}},
		{"zero workers", []string{"--spawn", "x", "--workers", "0"}},
		{"a soak without spawn", []string{"--url", "http://127.0.0.1:1/token", "--soak"}},
		{"a soak with the suite", []string{"--spawn", "x", "--soak", "--suite"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := parseFlags(tc.args, &bytes.Buffer{}); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestProcCPUReadsThisProcess(t *testing.T) {
	x := 0
	for i := range 20_000_000 {
		x += i
	}
	_ = x
	d, err := procCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if d <= 0 {
		t.Errorf("procCPU = %s after a busy loop, want > 0", d)
	}
}

func TestPercentileOfSortedLatencies(t *testing.T) {
	var lat []int64
	for i := 1; i <= 100; i++ {
		lat = append(lat, int64(i))
	}
	d := make([]int64, len(lat))
	copy(d, lat)
	cases := []struct {
		p    float64
		want int64
	}{{50, 50}, {95, 95}, {99, 99}, {100, 100}}
	for _, tc := range cases {
		if got := percentile(toDur(d), tc.p); int64(got) != tc.want {
			t.Errorf("p%.0f = %d, want %d", tc.p, got, tc.want)
		}
	}
}

func TestTokenFieldReadsTheTokenOnly(t *testing.T) {
	body := []byte(`{"token":"a.b.c","access_token":"a.b.c","expires_in":300}`)
	if got := tokenField(body); got != "a.b.c" {
		t.Errorf("tokenField = %q", got)
	}
	if got := tokenField([]byte(`{"errors":[]}`)); got != "" {
		t.Errorf("tokenField of an error = %q", got)
	}
}

func toDur(v []int64) []time.Duration {
	out := make([]time.Duration, len(v))
	for i, x := range v {
		out[i] = time.Duration(x)
	}
	return out
}
