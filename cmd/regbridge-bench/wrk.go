package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The wrk driver runs wrk 4.1 the way token servers are usually compared:
//
//	wrk -t2 -c16 -d15s --latency -s token.lua http://127.0.0.1:PORT
//
// with the Lua script below (written next to the spawned server), which
// sets the token request and checks every response body. Its done() hook
// prints one machine-readable line from wrk's own counters and latency
// histogram, which the bench parses; wrk's usual summary is printed too.

// wrkMarker starts the line the Lua script's done() prints.
const wrkMarker = "regbridge-bench-wrk:"

// wrkScript returns the Lua script for sp: path and query of worker 0,
// the Authorization header of the mix (anonymous, static, or users
// round-robin), and a body check: status 200 and an access_token that is a
// JWS.
func wrkScript(sp loadSpec, path string) (string, error) {
	creds, err := sp.credentials()
	if err != nil {
		return "", err
	}
	target := path + "?" + sp.query(0)
	var b strings.Builder
	fmt.Fprintf(&b, "wrk.method = \"GET\"\nwrk.path = %q\n", target)
	switch sp.Mix {
	case MixAnonymous:
	case MixStatic:
		fmt.Fprintf(&b, "wrk.headers[\"Authorization\"] = %q\n", creds(0, 0))
	case MixUsers:
		b.WriteString("local auth = {\n")
		for i := range sp.Users {
			fmt.Fprintf(&b, "  %q,\n", basic("user"+strconv.Itoa(i), sp.Password))
		}
		b.WriteString("}\nlocal n = 0\nfunction request()\n  n = n % #auth + 1\n" +
			"  return wrk.format(nil, nil, {Authorization = auth[n]})\nend\n")
	default:
		return "", fmt.Errorf("the wrk driver runs the anonymous, static and users mixes, not %q", sp.Mix)
	}
	b.WriteString(`local threads = {}
function setup(thread) table.insert(threads, thread) end
invalid = 0
function response(status, headers, body)
  if status ~= 200 or not string.find(body, '"access_token":"ey', 1, true) then invalid = invalid + 1 end
end
function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("invalid") end
  local e = summary.errors
  io.write(string.format("` + wrkMarker + ` requests=%d duration_us=%d p50_us=%d p95_us=%d p99_us=%d max_us=%d status=%d socket=%d invalid=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    e.status, e.connect + e.read + e.write + e.timeout, bad))
end
`)
	return b.String(), nil
}

// wrkResult is what one wrk run reported.
type wrkResult struct {
	Requests, Status, Socket, Invalid int
	Elapsed                           time.Duration
	P50, P95, P99, Max                time.Duration
	Summary                           string // wrk's own summary, for people
}

// runWrk runs wrk with threads threads and sp.Workers connections for
// sp.Duration against base (scheme://host:port) with the script in dir.
func runWrk(ctx context.Context, wrk, dir, base string, threads int, sp loadSpec, path string) (*wrkResult, error) {
	script, err := wrkScript(sp, path)
	if err != nil {
		return nil, err
	}
	file := filepath.Join(dir, "token.lua")
	if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
		return nil, err
	}
	secs := max(int(sp.Duration.Round(time.Second)/time.Second), 1)
	args := []string{"-t" + strconv.Itoa(min(threads, sp.Workers)), "-c" + strconv.Itoa(sp.Workers), "-d" + strconv.Itoa(secs) + "s",
		"--latency", "--timeout", "10s", "-s", file, base}
	cmd := exec.CommandContext(ctx, wrk, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %s: %w\n%s", wrk, strings.Join(args, " "), err, errOut.String())
	}
	return parseWrk(out.String())
}

// parseWrk reads the marker line of the script's done() from wrk's output.
func parseWrk(out string) (*wrkResult, error) {
	res := &wrkResult{}
	var summary strings.Builder
	found := false
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, wrkMarker)
		if !ok {
			summary.WriteString(line + "\n")
			continue
		}
		found = true
		for _, f := range strings.Fields(rest) {
			k, v, ok := strings.Cut(f, "=")
			if !ok {
				return nil, fmt.Errorf("wrk output: malformed field %q", f)
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("wrk output: field %s: %w", k, err)
			}
			us := time.Duration(n) * time.Microsecond
			switch k {
			case "requests":
				res.Requests = int(n)
			case "duration_us":
				res.Elapsed = us
			case "p50_us":
				res.P50 = us
			case "p95_us":
				res.P95 = us
			case "p99_us":
				res.P99 = us
			case "max_us":
				res.Max = us
			case "status":
				res.Status = int(n)
			case "socket":
				res.Socket = int(n)
			case "invalid":
				res.Invalid = int(n)
			}
		}
	}
	if !found {
		return nil, fmt.Errorf("wrk output has no %q line (wrk 4.1 with Lua needed):\n%s", wrkMarker, tail(out, 2000))
	}
	res.Summary = summary.String()
	return res, nil
}

// fillWrk sets r's client-side measures from a wrk run. A response that is
// not 200 or whose body is not a token is an error; so is a socket error.
func (r *Result) fillWrk(w *wrkResult) {
	r.Requests = w.Requests
	r.Errors = max(w.Invalid, w.Status) + w.Socket
	if r.Errors > 0 {
		r.ErrorsBy = map[string]int{"invalid": w.Invalid, "status": w.Status, "socket": w.Socket}
	}
	r.Tokens = w.Requests - max(w.Invalid, w.Status)
	r.Seconds = w.Elapsed.Seconds()
	if r.Seconds > 0 {
		r.TokensPerSec = float64(r.Tokens) / r.Seconds
	}
	r.P50MS, r.P95MS, r.P99MS, r.MaxMS = ms(w.P50), ms(w.P95), ms(w.P99), ms(w.Max)
}
