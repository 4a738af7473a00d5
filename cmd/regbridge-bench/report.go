package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

// Report is the JSON output of a run.
type Report struct {
	Machine Machine `json:"machine"`
	Driver  string  `json:"driver"`
	// Load and LoadAfter are /proc/loadavg before and after the run: the
	// machine is shared, and other work shows there.
	Load      string   `json:"loadavg_before"`
	LoadAfter string   `json:"loadavg_after"`
	Workers   int      `json:"workers"`
	Duration  float64  `json:"duration_s"`
	Results   []Result `json:"results"`
}

// Machine describes where the run happened.
type Machine struct {
	CPUs   int    `json:"cpus"`
	GOOS   string `json:"goos"`
	GOARCH string `json:"goarch"`
	Go     string `json:"go"`
}

// Result is one scenario.
type Result struct {
	Scenario string `json:"scenario"`
	Mix      string `json:"mix"`
	Driver   string `json:"driver"`
	// Workers are keep-alive connections (wrk -c).
	Workers int `json:"workers"`
	// Floor is the net/http floor's row, not regbridge's.
	Floor bool `json:"floor,omitempty"`
	// Header is the JWS header form; BodyBytes the size of one answer.
	Header      string `json:"header,omitempty"`
	BodyBytes   int    `json:"body_bytes"`
	PolicyRules int    `json:"policy_rules,omitempty"`
	Reuse       bool   `json:"token_reuse"`
	// Requests were sent; Tokens came back 200; Errors did not.
	Requests     int            `json:"requests"`
	Tokens       int            `json:"tokens"`
	Errors       int            `json:"errors"`
	ErrorsBy     map[string]int `json:"errors_by,omitempty"`
	Seconds      float64        `json:"seconds"`
	TokensPerSec float64        `json:"tokens_per_s"`
	P50MS        float64        `json:"p50_ms"`
	P95MS        float64        `json:"p95_ms"`
	P99MS        float64        `json:"p99_ms"`
	MaxMS        float64        `json:"max_ms,omitempty"`
	// ReusedAnswers are answers equal to the worker's previous token.
	ReusedAnswers int `json:"reused_answers"`
	// Server CPU (user+system, all threads) during the measured run.
	ServerCPUSeconds float64 `json:"server_cpu_s"`
	CPUPerTokenUS    float64 `json:"server_cpu_per_token_us"`
	// RunQueueWaitUS is how long the server's threads waited for a CPU
	// while runnable, per token.
	RunQueueWaitUS float64 `json:"server_run_queue_wait_per_token_us"`
	// The raw cost of one signature with the server's algorithm, measured
	// in this run, and CPUPerTokenUS divided by it.
	SigAlg   string  `json:"signature_alg"`
	SigCPUUS float64 `json:"signature_cpu_us"`
	Ratio    float64 `json:"cpu_ratio"`
	// ES256SigUS is one ES256 signature in this run (the unit of the
	// targets whatever the server's algorithm); ES256Ratio is CPU per token
	// in those units.
	ES256SigUS float64 `json:"es256_signature_cpu_us"`
	ES256Ratio float64 `json:"es256_ratio"`
	// FloorCPUUS is the net/http floor's CPU per request at the same
	// connection count in this run; BudgetRatio is CPU per token divided by
	// floor + one ES256 signature (target ≤ 1.25).
	FloorCPUUS  float64 `json:"floor_cpu_us,omitempty"`
	BudgetRatio float64 `json:"budget_ratio,omitempty"`
	// Heap allocations (count and bytes) of the whole server process per
	// request, and garbage collections per second.
	AllocsPerToken     float64 `json:"server_allocs_per_request"`
	AllocBytesPerToken float64 `json:"server_alloc_bytes_per_request"`
	GCPerSec           float64 `json:"gc_per_s"`
	StartupMS          float64 `json:"startup_ms,omitempty"`
}

func (r *Result) fill(lr *loadResult) {
	r.Requests, r.Errors, r.ReusedAnswers = lr.Requests, lr.Errors, lr.Reused
	if len(lr.ErrorsBy) > 0 {
		r.ErrorsBy = lr.ErrorsBy
	}
	r.Tokens = len(lr.Latencies)
	r.Seconds = lr.Elapsed.Seconds()
	if r.Seconds > 0 {
		r.TokensPerSec = float64(r.Tokens) / r.Seconds
	}
	r.P50MS = ms(percentile(lr.Latencies, 50))
	r.P95MS = ms(percentile(lr.Latencies, 95))
	r.P99MS = ms(percentile(lr.Latencies, 99))
}

// writeReport writes the table to stdout and the JSON to jsonOut ("-": the
// JSON to stdout instead of the table).
func writeReport(rep Report, jsonOut string, stdout io.Writer) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	switch jsonOut {
	case "-":
		_, err = stdout.Write(b)
		return err
	case "":
	default:
		if err := os.WriteFile(jsonOut, b, 0o644); err != nil {
			return err
		}
	}
	_, err = io.WriteString(stdout, Table(rep))
	return err
}

// Table renders rep as a Markdown table.
func Table(rep Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d CPUs, %s/%s, %s; %s driver, %.0f s per scenario, load generator on the same machine; load average before %s, after %s\n\n",
		rep.Machine.CPUs, rep.Machine.GOOS, rep.Machine.GOARCH, rep.Machine.Go, rep.Driver, rep.Duration, rep.Load, rep.LoadAfter)
	b.WriteString("| scenario | conns | tokens/s | p50 ms | p99 ms | p99/p50 | server CPU µs/token | signature µs | CPU ÷ signature | CPU ÷ (floor + ES256) | allocs/req | bytes/req | GCs/s | run-queue wait µs/token | body bytes | errors |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rep.Results {
		sig, ratio, budget := "—", "—", "—"
		if r.SigCPUUS > 0 {
			sig, ratio = fmt.Sprintf("%.1f (%s)", r.SigCPUUS, r.SigAlg), fmt.Sprintf("%.2f", r.Ratio)
			if r.SigAlg != "ES256" && r.ES256SigUS > 0 {
				ratio += fmt.Sprintf(" (%.2f ES256)", r.ES256Ratio)
			}
		}
		if r.BudgetRatio > 0 {
			budget = fmt.Sprintf("%.2f", r.BudgetRatio)
		}
		tail := 0.0
		if r.P50MS > 0 {
			tail = r.P99MS / r.P50MS
		}
		fmt.Fprintf(&b, "| %s | %d | %.0f | %.2f | %.2f | %.1f | %.1f | %s | %s | %s | %.0f | %.0f | %.1f | %.1f | %d | %d |\n",
			r.Scenario, r.Workers, r.TokensPerSec, r.P50MS, r.P99MS, tail, r.CPUPerTokenUS, sig, ratio, budget,
			r.AllocsPerToken, r.AllocBytesPerToken, r.GCPerSec, r.RunQueueWaitUS, r.BodyBytes, r.Errors)
	}
	return b.String()
}
