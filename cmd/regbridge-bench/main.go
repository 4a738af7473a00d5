// Command regbridge-bench is a load generator for regbridge's token
// endpoint. It drives keep-alive HTTP requests from N workers for a fixed
// time or count with a chosen credential mix, and reports tokens/s,
// latency percentiles, errors, the server's CPU time per token (from
// /proc/<pid>/stat), the server's allocations per token (from its
// /metrics), and the raw CPU cost of one signature with the server's
// algorithm measured in the same run, with the ratio of the two.
//
// With --spawn it starts regbridge itself on loopback with a generated key,
// htpasswd file, policy and configuration, so a run needs nothing else:
//
//	regbridge-bench --spawn ./regbridge --suite                # the README table
//	regbridge-bench --spawn ./regbridge --mix static --workers 64 --duration 10s
//	regbridge-bench --url http://127.0.0.1:5001/token --pid 1234 --mix static --user u --password p
//	regbridge-bench --spawn ./regbridge --soak --duration 10m      # one line a minute, four credential kinds
//
// Traffic goes only to the given URL; the run stops by itself.
package main

import (
	"context"
	"crypto"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/regbridge/regbridge/bridge/signing"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "regbridge-bench:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	url, spawn, mix, user, password, service, jsonOut, keyFile, alg, tmp string
	pid, workers, requests, users, scopes, rules, bcryptCost, sigN       int
	duration, warmup, soakInterval                                       time.Duration
	suite, smoke, reuse, soak                                            bool
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("regbridge-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.url, "url", "", "token endpoint of a running regbridge (loopback)")
	fs.StringVar(&o.spawn, "spawn", "", "path of a regbridge binary to start on loopback with a generated setup")
	fs.IntVar(&o.pid, "pid", 0, "server PID for CPU per token (set by --spawn)")
	fs.StringVar(&o.mix, "mix", MixStatic, "credential mix: anonymous, static, users, fresh, pull")
	fs.StringVar(&o.user, "user", benchUser, "static mix: username")
	fs.StringVar(&o.password, "password", benchPass, "password of every generated user")
	fs.StringVar(&o.service, "service", benchService, "service parameter")
	fs.IntVar(&o.users, "users", 1000, "users, fresh and pull mixes: K distinct users (user0..userK-1)")
	fs.IntVar(&o.scopes, "scopes", 1, "scopes per request")
	fs.IntVar(&o.workers, "workers", 64, "concurrent keep-alive workers")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "measured run length (upper bound)")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured warm-up before each run")
	fs.IntVar(&o.requests, "requests", 0, "stop after this many requests (0: duration only)")
	fs.IntVar(&o.rules, "rules", 10, "--spawn: policy rules")
	fs.IntVar(&o.bcryptCost, "bcrypt-cost", 10, "--spawn: bcrypt cost of the htpasswd hash")
	fs.BoolVar(&o.reuse, "reuse", false, "--spawn: enable token_reuse")
	fs.StringVar(&o.keyFile, "key", "", "--url: the server's PEM private key, for the raw signature cost (else a fresh key of --alg)")
	fs.StringVar(&o.alg, "alg", "ES256", "--url: algorithm of the raw signature cost without --key")
	fs.IntVar(&o.sigN, "sig-n", 2000, "signatures per round of the raw signature cost")
	fs.BoolVar(&o.suite, "suite", false, "run the README scenarios (needs --spawn)")
	fs.BoolVar(&o.soak, "soak", false, "--spawn: four credential kinds at once (anonymous, cached static user, OIDC ID tokens from a fake issuer, a wrong-password spray) for --duration, one line per --soak-interval")
	fs.DurationVar(&o.soakInterval, "soak-interval", time.Minute, "--soak: report interval")
	fs.BoolVar(&o.smoke, "smoke", false, "short run for CI: 0.5 s per scenario, 8 workers, bcrypt cost 4")
	fs.StringVar(&o.jsonOut, "json", "", "write the JSON report to this file (- for stdout instead of the table)")
	fs.StringVar(&o.tmp, "tmp", os.TempDir(), "--spawn: directory for generated setups")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if (o.url == "") == (o.spawn == "") {
		return nil, errors.New("give exactly one of --url and --spawn")
	}
	if (o.suite || o.soak) && o.spawn == "" {
		return nil, errors.New("--suite and --soak need --spawn")
	}
	if o.soak && (o.suite || o.soakInterval <= 0) {
		return nil, errors.New("--soak runs alone, with a positive --soak-interval")
	}
	if o.smoke {
		o.duration, o.warmup, o.workers, o.bcryptCost, o.sigN = 500*time.Millisecond, 100*time.Millisecond, 8, 4, 200
		o.users = min(o.users, 1000)
	}
	if o.workers < 1 || o.duration <= 0 || o.scopes < 1 || o.scopes > 20 {
		return nil, errors.New("--workers and --duration must be positive, --scopes 1..20")
	}
	return o, nil
}

// scenario is one row of the report.
type scenario struct {
	Name  string
	Mix   string
	Users int
	Rules int
	Reuse bool
}

// readmeSuite is the table in docs/performance.md.
func readmeSuite(o *options) []scenario {
	return []scenario{
		{"anonymous", MixAnonymous, 0, 10, false},
		{"cached static user", MixStatic, 0, 10, false},
		{"cached, 500 distinct users", MixUsers, 500, 10, false},
		{"cache-miss static user (bcrypt)", MixFresh, max(o.users, 100000), 10, false},
		{"cached static user, 1,000 rules", MixStatic, 0, 1000, false},
		{"cached static user, 10,000 rules", MixStatic, 0, 10000, false},
		{"docker pull shape, reuse off", MixPull, o.workers, 10, false},
		{"docker pull shape, token_reuse on", MixPull, o.workers, 10, true},
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if o.soak {
		return soak(ctx, o, stdout)
	}
	list := []scenario{{Name: o.mix, Mix: o.mix, Users: o.users, Rules: o.rules, Reuse: o.reuse}}
	if o.suite {
		list = readmeSuite(o)
	}
	rep := Report{Machine: machine(), Workers: o.workers, Duration: o.duration.Seconds()}
	for _, sc := range list {
		if o.smoke && sc.Mix == MixFresh {
			sc.Users = 1000
		}
		res, err := runScenario(ctx, o, sc)
		if err != nil {
			return fmt.Errorf("%s: %w", sc.Name, err)
		}
		rep.Results = append(rep.Results, *res)
		fmt.Fprintf(stderr, "%-36s %8.0f tokens/s  p99 %7.2f ms  ratio %5.2f  errors %d\n", sc.Name, res.TokensPerSec, res.P99MS, res.Ratio, res.Errors)
	}
	return writeReport(rep, o.jsonOut, stdout)
}

// runScenario starts a server when asked, measures the raw signature cost,
// warms up, then runs the measured load with CPU and allocation counters
// read around it.
func runScenario(ctx context.Context, o *options, sc scenario) (*Result, error) {
	url, pid, base := o.url, o.pid, ""
	var signer signerAlg
	res := &Result{Scenario: sc.Name, Mix: sc.Mix, Workers: o.workers, Reuse: sc.Reuse}
	if o.spawn != "" {
		users := sc.Users
		if sc.Mix == MixStatic || sc.Mix == MixAnonymous {
			users = sc.Rules // userN are named in the policy's team rules
		}
		spec := serverSpec{Rules: max(sc.Rules, 2), Users: users, BcryptCost: o.bcryptCost, Reuse: sc.Reuse}
		if sc.Mix == MixFresh {
			spec.CacheTTL = time.Hour // a miss is a miss because the credential is new
		}
		srv, err := spawn(ctx, o.spawn, o.tmp, spec)
		if err != nil {
			return nil, err
		}
		defer srv.stop()
		url, pid, base = srv.URL, srv.PID(), srv.Base
		signer = signerAlg{srv.Signer, srv.Alg}
		res.PolicyRules, res.StartupMS = spec.Rules, ms(srv.Startup)
	} else {
		var err error
		if signer, err = loadSigner(o.keyFile, o.alg); err != nil {
			return nil, err
		}
	}
	sig, err := signatureCost(signer.s, signer.alg, o.sigN, 5)
	if err != nil {
		return nil, err
	}
	res.SigAlg, res.SigCPUUS = string(signer.alg), us(sig)

	sp := loadSpec{URL: url, Service: o.service, Mix: sc.Mix, Users: sc.Users, User: o.user, Password: o.password,
		Scopes: o.scopes, Workers: o.workers, Timeout: 30 * time.Second}
	if sc.Mix == MixUsers || sc.Mix == MixPull {
		// Every user's first request pays bcrypt: make them all before
		// measuring the cached path.
		sp.Duration, sp.Requests = 5*time.Minute, sc.Users
		if _, err := runLoad(ctx, sp); err != nil {
			return nil, err
		}
	}
	if o.warmup > 0 && sc.Mix != MixFresh {
		sp.Duration, sp.Requests = o.warmup, 0
		if _, err := runLoad(ctx, sp); err != nil {
			return nil, err
		}
	}
	sp.Duration, sp.Requests = o.duration, o.requests
	var cpu0, cpu1 time.Duration
	var m0, m1 float64
	if pid > 0 {
		cpu0, _ = procCPU(pid)
	}
	if base != "" {
		m0, _ = serverMallocs(base)
	}
	lr, err := runLoad(ctx, sp)
	if err != nil {
		return nil, err
	}
	if pid > 0 {
		cpu1, _ = procCPU(pid)
	}
	if base != "" {
		m1, _ = serverMallocs(base)
	}
	res.fill(lr)
	if pid > 0 && res.Tokens > 0 {
		res.ServerCPUSeconds = (cpu1 - cpu0).Seconds()
		res.CPUPerTokenUS = us(cpu1-cpu0) / float64(res.Tokens)
		if res.SigCPUUS > 0 {
			res.Ratio = res.CPUPerTokenUS / res.SigCPUUS
		}
	}
	if m1 > m0 && res.Requests > 0 {
		res.AllocsPerToken = (m1 - m0) / float64(res.Requests)
	}
	return res, nil
}

// signerAlg is a private key and its JWS algorithm.
type signerAlg struct {
	s   crypto.Signer
	alg jose.SignatureAlgorithm
}

func loadSigner(keyFile, alg string) (signerAlg, error) {
	if keyFile != "" {
		k, err := signing.LoadKey(keyFile, "", "")
		if err != nil {
			return signerAlg{}, err
		}
		return signerAlg{k.Signer, k.Algorithm}, nil
	}
	s, _, err := signing.GenerateKey(jose.SignatureAlgorithm(alg), "regbridge-bench", time.Hour, time.Now(), nil)
	if err != nil {
		return signerAlg{}, err
	}
	return signerAlg{s, jose.SignatureAlgorithm(alg)}, nil
}

func machine() Machine {
	return Machine{CPUs: runtime.NumCPU(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, Go: runtime.Version()}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
func us(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1000 }
