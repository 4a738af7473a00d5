package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The credential kinds of a soak run; workers are dealt to them in turn.
const (
	KindAnonymous = "anonymous" // no credential: the anonymous pull rule
	KindStatic    = "static"    // one htpasswd user, answered from the cache
	KindOIDC      = "oidc"      // CI ID tokens of the fake issuer, a new one every oidcTokenUses requests
	KindSpray     = "spray"     // wrong passwords for known users: a password spray, 401 expected
)

var soakKinds = []string{KindAnonymous, KindStatic, KindOIDC, KindSpray}

const (
	oidcTokenUses  = 64 // requests per ID token (the docker calls of one CI job)
	sprayUsers     = 16 // users the spray targets, each with sprayPasswords wrong passwords
	sprayPasswords = 4
)

// soak starts the fake issuer and a server set up for it, runs the soak
// load and reports the size of the server's log.
func soak(ctx context.Context, o *options, out io.Writer) error {
	is, err := startIssuer()
	if err != nil {
		return fmt.Errorf("soak: issuer: %w", err)
	}
	defer is.close()
	srv, err := spawn(ctx, o.spawn, o.tmp, serverSpec{Rules: max(o.rules, 2), Users: sprayUsers, BcryptCost: o.bcryptCost, OIDCIssuer: is.URL})
	if err != nil {
		return fmt.Errorf("soak: %w", err)
	}
	defer srv.stop()
	sp := soakSpec{URL: srv.URL, Service: o.service, PID: srv.PID(), Workers: o.workers, Duration: o.duration,
		Interval: o.soakInterval, Issuer: is, Timeout: 30 * time.Second}
	if _, err := runSoak(ctx, sp, out); err != nil {
		return err
	}
	fmt.Fprintf(out, "soak: server log %.1f MiB\n", float64(srv.LogBytes())/(1<<20))
	return nil
}

// soakSpec is one soak run against a spawned server.
type soakSpec struct {
	URL      string
	Service  string
	PID      int
	Workers  int
	Duration time.Duration
	Interval time.Duration // one report line per interval
	Issuer   *fakeIssuer
	Timeout  time.Duration
}

// soakCounts are what the workers of one kind counted since the start.
type soakCounts struct {
	expected atomic.Int64 // 200, or 401 for the spray
	mu       sync.Mutex
	errs     map[string]int // unexpected answers by status ("transport" when none)
}

func (c *soakCounts) fail(status string) {
	c.mu.Lock()
	c.errs[status]++
	c.mu.Unlock()
}

func (c *soakCounts) snapshot() (int64, map[string]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := make(map[string]int, len(c.errs))
	for k, v := range c.errs {
		m[k] = v
	}
	return c.expected.Load(), m
}

// soakLine is one interval of a soak run.
type soakLine struct {
	At       time.Duration
	Expected map[string]int64 // per kind, in the interval
	Errors   map[string]int   // "kind status", in the interval
	RSSKiB   int64
}

// runSoak drives the four credential kinds at once for sp.Duration and
// writes one line per interval to out: requests, the expected answers of
// each kind, unexpected answers by kind and status, and the server's RSS.
func runSoak(ctx context.Context, sp soakSpec, out io.Writer) ([]soakLine, error) {
	tr := &http.Transport{MaxIdleConns: sp.Workers * 2, MaxIdleConnsPerHost: sp.Workers * 2, MaxConnsPerHost: sp.Workers,
		DisableCompression: true, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: sp.Timeout}
	ctx, cancel := context.WithTimeout(ctx, sp.Duration)
	defer cancel()
	counts := map[string]*soakCounts{}
	for _, k := range soakKinds {
		counts[k] = &soakCounts{errs: map[string]int{}}
	}
	target := sp.URL + "?" + (loadSpec{Service: sp.Service, Scopes: 1}).query(0)
	var jobs atomic.Int64
	var wg sync.WaitGroup
	for w := range sp.Workers {
		kind := soakKinds[w%len(soakKinds)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			soakWorker(ctx, client, target, kind, w, sp.Issuer, &jobs, counts[kind])
		}()
	}
	fmt.Fprintf(out, "soak: %d workers (%d per kind: %s) for %s against %s; load average %s\n",
		sp.Workers, sp.Workers/len(soakKinds), strings.Join(soakKinds, ", "), sp.Duration, sp.URL, loadAverage())
	var lines []soakLine
	prev := map[string]int64{}
	prevErr := map[string]int{}
	start := time.Now()
	tick := time.NewTicker(sp.Interval)
	defer tick.Stop()
	report := func() {
		l := soakLine{At: time.Since(start).Round(time.Second), Expected: map[string]int64{}, Errors: map[string]int{}}
		for _, k := range soakKinds {
			n, errs := counts[k].snapshot()
			l.Expected[k], prev[k] = n-prev[k], n
			for s, v := range errs {
				key := k + " " + s
				if d := v - prevErr[key]; d > 0 {
					l.Errors[key] = d
				}
				prevErr[key] = v
			}
		}
		l.RSSKiB, _ = procRSS(sp.PID)
		lines = append(lines, l)
		fmt.Fprintln(out, l.String())
	}
	for done := false; !done; {
		select {
		case <-tick.C:
			report()
		case <-ctx.Done():
			done = true
		}
	}
	wg.Wait()
	// A last partial interval is reported unless it is a rounding rest.
	if rest := time.Since(start) - time.Duration(len(lines))*sp.Interval; rest >= min(time.Second, sp.Interval/2) {
		report()
	}
	fmt.Fprintf(out, "soak: done after %s; load average %s\n", time.Since(start).Round(time.Second), loadAverage())
	return lines, nil
}

// soakWorker sends requests of one kind until ctx ends.
func soakWorker(ctx context.Context, client *http.Client, target, kind string, w int, is *fakeIssuer, jobs *atomic.Int64, c *soakCounts) {
	want := http.StatusOK
	if kind == KindSpray {
		want = http.StatusUnauthorized
	}
	static := basic(benchUser, benchPass)
	var idToken string
	for i := 0; ctx.Err() == nil; i++ {
		var auth string
		switch kind {
		case KindStatic:
			auth = static
		case KindOIDC:
			if i%oidcTokenUses == 0 {
				tok, err := is.mint(int(jobs.Add(1)))
				if err != nil {
					c.fail("mint")
					return
				}
				idToken = tok
			}
			auth = basic("ci", idToken)
		case KindSpray:
			n := w*7 + i
			auth = basic("user"+strconv.Itoa(n%sprayUsers), "wrong-"+strconv.Itoa(n/sprayUsers%sprayPasswords))
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := client.Do(req)
		if err != nil {
			if ctx.Err() == nil {
				c.fail("transport")
			}
			continue
		}
		_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case err != nil:
			c.fail("body")
		case resp.StatusCode == want:
			c.expected.Add(1)
		default:
			c.fail(strconv.Itoa(resp.StatusCode))
		}
	}
}

func (l soakLine) String() string {
	var b strings.Builder
	var total int64
	for _, k := range soakKinds {
		total += l.Expected[k]
	}
	errs := 0
	for _, v := range l.Errors {
		errs += v
	}
	fmt.Fprintf(&b, "%6s  requests %8d", l.At, total+int64(errs))
	for _, k := range soakKinds {
		fmt.Fprintf(&b, "  %s %d", k, l.Expected[k])
	}
	fmt.Fprintf(&b, "  errors %d", errs)
	if errs > 0 {
		keys := make([]string, 0, len(l.Errors))
		for k := range l.Errors {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			keys[i] = fmt.Sprintf("%s=%d", strings.ReplaceAll(k, " ", ":"), l.Errors[k])
		}
		fmt.Fprintf(&b, " (%s)", strings.Join(keys, " "))
	}
	fmt.Fprintf(&b, "  rss %.1f MiB", float64(l.RSSKiB)/1024)
	return b.String()
}

// procRSS returns VmRSS of process pid in KiB, from /proc/<pid>/status.
func procRSS(pid int) (int64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("/proc/%d/status: no VmRSS", pid)
}

// loadAverage is the first three fields of /proc/loadavg.
func loadAverage() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(raw))
	return strings.Join(f[:min(3, len(f))], " ")
}
