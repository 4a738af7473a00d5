package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Load drivers.
const (
	DriverBuiltin = "builtin"
	DriverWrk     = "wrk"
)

// target is what a scenario drives: a spawned or given server.
type target struct {
	url, base, admin string
	pid              int
	signer           signerAlg
	stop             func()
}

// runScenario starts a server when asked, measures the raw signature cost,
// warms up, then runs the measured load with CPU and allocation counters
// read around it.
func runScenario(ctx context.Context, o *options, sc scenario) (*Result, error) {
	workers := o.workers
	if sc.Workers > 0 {
		workers = sc.Workers
	}
	res := &Result{Scenario: sc.Name, Mix: sc.Mix, Driver: o.driver, Workers: workers, Reuse: sc.Reuse, Floor: sc.Floor}
	tg, err := startTarget(ctx, o, sc, res)
	if err != nil {
		return nil, err
	}
	defer tg.stop()
	if tg.signer.s != nil {
		sig, err := signatureCost(tg.signer.s, tg.signer.alg, o.sigN, 5)
		if err != nil {
			return nil, err
		}
		res.SigAlg, res.SigCPUUS = string(tg.signer.alg), us(sig)
	}
	res.ES256SigUS = res.SigCPUUS
	if res.SigAlg != string(jose.ES256) {
		es, err := loadSigner("", string(jose.ES256))
		if err != nil {
			return nil, err
		}
		sig, err := signatureCost(es.s, es.alg, o.sigN, 5)
		if err != nil {
			return nil, err
		}
		res.ES256SigUS = us(sig)
	}

	sp := loadSpec{URL: tg.url, Service: o.service, Mix: sc.Mix, Users: sc.Users, User: o.user, Password: o.password,
		Scopes: o.scopes, Workers: workers, Timeout: 30 * time.Second}
	if !sc.Floor && (sc.Mix == MixUsers || sc.Mix == MixPull) {
		// Every user's first request pays bcrypt: make them all before
		// measuring the cached path.
		sp.Duration, sp.Requests = 5*time.Minute, sc.Users
		if _, err := runLoad(ctx, sp); err != nil {
			return nil, err
		}
	}
	measure := func(sp loadSpec) error {
		if o.driver == DriverWrk {
			w, err := runWrk(ctx, o.wrk, o.tmp, strings.TrimSuffix(tg.base, "/"), o.threads, sp, "/token")
			if err != nil {
				return err
			}
			res.fillWrk(w)
			return nil
		}
		lr, err := runLoad(ctx, sp)
		if err != nil {
			return err
		}
		res.fill(lr)
		return nil
	}
	if o.warmup > 0 && sc.Mix != MixFresh {
		sp.Duration, sp.Requests = o.warmup, 0
		if err := measure(sp); err != nil {
			return nil, err
		}
	}
	sp.Duration, sp.Requests = o.duration, o.requests
	before := readCounters(tg)
	prof := startProfiles(ctx, o.profileDir, tg.admin, sc, workers, o.duration)
	if err := measure(sp); err != nil {
		return nil, err
	}
	after := readCounters(tg)
	if err := prof.finish(); err != nil {
		return nil, err
	}
	res.counters(before, after)
	return res, nil
}

// startTarget spawns the scenario's server (or the floor) or uses --url.
func startTarget(ctx context.Context, o *options, sc scenario, res *Result) (*target, error) {
	if o.spawn == "" {
		signer, err := loadSigner(o.keyFile, o.alg)
		if err != nil {
			return nil, err
		}
		return &target{url: o.url, base: strings.TrimSuffix(o.url, "/token"), pid: o.pid, signer: signer, stop: func() {}}, nil
	}
	users := sc.Users
	if sc.Mix == MixStatic || sc.Mix == MixAnonymous {
		users = sc.Rules // userN are named in the policy's team rules
	}
	alg, header := jose.SignatureAlgorithm(o.alg), o.header
	if sc.Alg != "" {
		alg = jose.SignatureAlgorithm(sc.Alg)
	}
	if sc.Header != "" {
		header = sc.Header
	}
	spec := serverSpec{Rules: max(sc.Rules, 2), Users: users, BcryptCost: o.bcryptCost, Reuse: sc.Reuse,
		Alg: alg, Header: header, Env: o.serverEnv, Admin: o.profileDir != ""}
	if sc.Mix == MixFresh {
		spec.CacheTTL = time.Hour // a miss is a miss because the credential is new
	}
	srv, err := spawn(ctx, o.spawn, o.tmp, spec)
	if err != nil {
		return nil, err
	}
	res.Header = header
	if res.Header == "" {
		res.Header = "x5c"
	}
	body, err := oneToken(srv.URL, o.service)
	if err != nil {
		srv.stop()
		return nil, err
	}
	res.BodyBytes = len(body)
	if sc.Floor {
		srv.stop()
		if srv, err = spawnFloor(ctx, o.tmp, body); err != nil {
			return nil, err
		}
		return &target{url: srv.URL, base: srv.Base, pid: srv.PID(), stop: srv.stop,
			signer: signerAlg{}}, nil
	}
	res.PolicyRules, res.StartupMS = spec.Rules, ms(srv.Startup)
	return &target{url: srv.URL, base: srv.Base, admin: srv.AdminAddr, pid: srv.PID(), stop: srv.stop,
		signer: signerAlg{srv.Signer, srv.Alg}}, nil
}

// oneToken returns the body of one anonymous token response.
func oneToken(url, service string) ([]byte, error) {
	resp, err := http.Get(url + "?service=" + service + "&scope=repository:bench/app0:pull")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"access_token":"ey`) {
		return nil, fmt.Errorf("the first token request answered %d: %s", resp.StatusCode, tail(string(body), 500))
	}
	return body, nil
}

// counters are the server's CPU time and Go runtime counters at one moment.
type counters struct {
	cpu, runWait           time.Duration
	mallocs, bytes, gcs    float64
	haveCPU, haveGoMetrics bool
}

func readCounters(tg *target) counters {
	var c counters
	if tg.pid > 0 {
		var err error
		c.cpu, err = procCPU(tg.pid)
		c.haveCPU = err == nil
		c.runWait, _ = runQueueWait(tg.pid)
	}
	if m, err := goMetrics(tg.base); err == nil {
		c.mallocs, c.bytes, c.gcs, c.haveGoMetrics = m["go_memstats_mallocs_total"], m["go_memstats_alloc_bytes_total"], m["go_gc_duration_seconds_count"], true
	}
	return c
}

// counters fills the server-side measures from counters read around the run.
func (r *Result) counters(b, a counters) {
	if a.haveCPU && b.haveCPU && r.Tokens > 0 {
		r.ServerCPUSeconds = (a.cpu - b.cpu).Seconds()
		r.CPUPerTokenUS = us(a.cpu-b.cpu) / float64(r.Tokens)
		if r.SigCPUUS > 0 {
			r.Ratio = r.CPUPerTokenUS / r.SigCPUUS
		}
		r.RunQueueWaitUS = us(a.runWait-b.runWait) / float64(r.Tokens)
		if r.ES256SigUS > 0 {
			r.ES256Ratio = r.CPUPerTokenUS / r.ES256SigUS
		}
	}
	if a.haveGoMetrics && b.haveGoMetrics && r.Requests > 0 {
		// The two /metrics reads themselves are in the difference: a
		// few hundred allocations against tens of thousands of requests.
		r.AllocsPerToken = (a.mallocs - b.mallocs) / float64(r.Requests)
		r.AllocBytesPerToken = (a.bytes - b.bytes) / float64(r.Requests)
		if r.Seconds > 0 {
			r.GCPerSec = (a.gcs - b.gcs) / r.Seconds
		}
	}
}

// loadAvg is the first line of /proc/loadavg: other work on the machine.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
