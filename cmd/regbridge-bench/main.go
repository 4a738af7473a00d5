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
	"strings"
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
	// The wrk driver, the floor, and what the spawned server runs with.
	driver, wrk, header, profileDir, serveFloor, floorBody string
	threads                                                int
	floor                                                  bool
	serverEnv                                              envList
}

// envList is a repeatable KEY=VALUE flag.
type envList []string

func (e *envList) String() string { return fmt.Sprint(*e) }

func (e *envList) Set(v string) error {
	if k, _, ok := strings.Cut(v, "="); !ok || k == "" {
		return fmt.Errorf("%q is not KEY=VALUE", v)
	}
	*e = append(*e, v)
	return nil
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
	fs.StringVar(&o.alg, "alg", "ES256", "algorithm of the spawned server's key (ES256, RS256, EdDSA on a v3 service); --url: of the raw signature cost without --key")
	fs.StringVar(&o.header, "header", "", "--spawn: the service's JWS header form, x5c or kid (default: the server's, x5c)")
	fs.StringVar(&o.driver, "driver", DriverBuiltin, "load generator: builtin (Go keep-alive workers) or wrk (wrk 4.1, -t2 -cWORKERS, every body checked)")
	fs.StringVar(&o.wrk, "wrk", "wrk", "--driver wrk: the wrk binary")
	fs.IntVar(&o.threads, "threads", 2, "--driver wrk: wrk threads (-t)")
	fs.BoolVar(&o.floor, "floor", false, "--spawn: measure the net/http floor instead of regbridge (a bare server answering a token-sized body)")
	fs.Var(&o.serverEnv, "server-env", "--spawn: KEY=VALUE added to the server's environment (repeat), e.g. GOGC=200")
	fs.StringVar(&o.profileDir, "profile", "", "--spawn: write CPU, allocation and mutex profiles of each measured run into this directory")
	fs.StringVar(&o.serveFloor, "serve-floor", "", "internal: run the floor server on this address")
	fs.StringVar(&o.floorBody, "floor-body", "", "internal: the floor server's body file")
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
	if o.serveFloor != "" {
		return o, nil
	}
	if o.driver != DriverBuiltin && o.driver != DriverWrk {
		return nil, fmt.Errorf("--driver %q: want builtin or wrk", o.driver)
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
		o.duration, o.warmup, o.workers, o.bcryptCost, o.sigN = time.Second, 100*time.Millisecond, 8, 4, 200
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
	// Zero values take the command's flags.
	Workers int
	Alg     string
	Header  string
	Floor   bool
}

// readmeSuite is the table in docs/performance.md.
func readmeSuite(o *options) []scenario {
	return []scenario{
		{Name: "anonymous", Mix: MixAnonymous, Users: 0, Rules: 10, Reuse: false},
		{Name: "cached static user", Mix: MixStatic, Users: 0, Rules: 10, Reuse: false},
		{Name: "cached, 500 distinct users", Mix: MixUsers, Users: 500, Rules: 10, Reuse: false},
		{Name: "cache-miss static user (bcrypt)", Mix: MixFresh, Users: max(o.users, 100000), Rules: 10},
		{Name: "cached static user, 1,000 rules", Mix: MixStatic, Users: 0, Rules: 1000, Reuse: false},
		{Name: "cached static user, 10,000 rules", Mix: MixStatic, Users: 0, Rules: 10000, Reuse: false},
		{Name: "docker pull shape, reuse off", Mix: MixPull, Users: o.workers, Rules: 10, Reuse: false},
		{Name: "docker pull shape, token_reuse on", Mix: MixPull, Users: o.workers, Rules: 10, Reuse: true},
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if o.serveFloor != "" {
		return serveFloor(ctx, o.serveFloor, o.floorBody)
	}
	if o.soak {
		return soak(ctx, o, stdout)
	}
	list := []scenario{{Name: o.mix, Mix: o.mix, Users: o.users, Rules: o.rules, Reuse: o.reuse, Floor: o.floor}}
	if o.floor {
		list[0].Name = "net/http floor"
	}
	switch {
	case o.suite && o.driver == DriverWrk:
		list = wrkSuite(o)
	case o.suite:
		list = readmeSuite(o)
	}
	rep := Report{Machine: machine(), Driver: o.driver, Workers: o.workers, Duration: o.duration.Seconds(), Load: loadAvg()}
	floors := map[int]float64{} // connections → floor CPU µs per request, this run
	for _, sc := range list {
		if o.smoke && sc.Mix == MixFresh {
			sc.Users = 1000
		}
		res, err := runScenario(ctx, o, sc)
		if err != nil {
			return fmt.Errorf("%s: %w", sc.Name, err)
		}
		if sc.Floor {
			floors[res.Workers] = res.CPUPerTokenUS
		} else if f, ok := floors[res.Workers]; ok && res.ES256SigUS > 0 {
			res.FloorCPUUS = f
			res.BudgetRatio = res.CPUPerTokenUS / (f + res.ES256SigUS)
		}
		rep.Results = append(rep.Results, *res)
		fmt.Fprintf(stderr, "%-40s c%-3d %8.0f tokens/s  p50 %6.2f p99 %7.2f ms  %6.1f µs/token  ratio %5.2f  budget %4.2f  errors %d\n",
			sc.Name, res.Workers, res.TokensPerSec, res.P50MS, res.P99MS, res.CPUPerTokenUS, res.Ratio, res.BudgetRatio, res.Errors)
	}
	rep.LoadAfter = loadAvg()
	return writeReport(rep, o.jsonOut, stdout)
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
