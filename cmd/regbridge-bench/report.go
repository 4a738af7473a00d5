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
	Machine  Machine  `json:"machine"`
	Workers  int      `json:"workers"`
	Duration float64  `json:"duration_s"`
	Results  []Result `json:"results"`
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
	Scenario    string `json:"scenario"`
	Mix         string `json:"mix"`
	Workers     int    `json:"workers"`
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
	// ReusedAnswers are answers equal to the worker's previous token.
	ReusedAnswers int `json:"reused_answers"`
	// Server CPU (user+system, all threads) during the measured run.
	ServerCPUSeconds float64 `json:"server_cpu_s"`
	CPUPerTokenUS    float64 `json:"server_cpu_per_token_us"`
	// The raw cost of one signature with the server's algorithm, measured
	// in this run, and CPUPerTokenUS divided by it.
	SigAlg   string  `json:"signature_alg"`
	SigCPUUS float64 `json:"signature_cpu_us"`
	Ratio    float64 `json:"cpu_ratio"`
	// Heap allocations of the whole server process per request.
	AllocsPerToken float64 `json:"server_allocs_per_request"`
	StartupMS      float64 `json:"startup_ms,omitempty"`
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
	fmt.Fprintf(&b, "%d CPUs, %s/%s, %s; %d workers, %.0f s per scenario, load generator on the same machine\n\n",
		rep.Machine.CPUs, rep.Machine.GOOS, rep.Machine.GOARCH, rep.Machine.Go, rep.Workers, rep.Duration)
	b.WriteString("| scenario | tokens/s | p50 ms | p95 ms | p99 ms | server CPU µs/token | signature µs | CPU ratio | allocs/request | errors |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rep.Results {
		fmt.Fprintf(&b, "| %s | %.0f | %.2f | %.2f | %.2f | %.1f | %.1f (%s) | %.2f | %.0f | %d |\n",
			r.Scenario, r.TokensPerSec, r.P50MS, r.P95MS, r.P99MS, r.CPUPerTokenUS, r.SigCPUUS, r.SigAlg, r.Ratio, r.AllocsPerToken, r.Errors)
	}
	return b.String()
}
