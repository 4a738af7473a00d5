package bridge

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/static"
)

// Password-spray scenario: 64 attackers send wrong passwords for the real
// users, each from its own address, pausing 1 ms between requests (a
// network round trip); 8 clients with cached good credentials and 8
// anonymous clients each ask for a token every sprayPace; their latency
// counts from when a request was due. The static
// users' bcrypt cost is sprayCost. Run it with
//
//	go test ./bridge -run '^$' -bench PasswordSpray -benchtime 1x
//
// Each sub-benchmark runs the scenario once for sprayWindow, whatever b.N.
const (
	sprayAttackers = 64
	sprayGood      = 8
	sprayAnonymous = 8
	sprayCost      = 10
	sprayWindow    = 4 * time.Second
	sprayPace      = 50 * time.Millisecond
)

func BenchmarkPasswordSpray(b *testing.B) {
	hash, err := bcrypt.GenerateFromPassword([]byte("good-pw"), sprayCost)
	if err != nil {
		b.Fatal(err)
	}
	var htpasswd strings.Builder
	for i := range sprayGood {
		fmt.Fprintf(&htpasswd, "user%d:%s\n", i, hash)
	}
	path := filepath.Join(b.TempDir(), "htpasswd")
	if err := os.WriteFile(path, []byte(htpasswd.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	for _, mode := range []struct {
		name      string
		attackers int
		limits    bool
	}{{"unloaded", 0, false}, {"limits_off", sprayAttackers, false}, {"limits_on", sprayAttackers, true}} {
		b.Run(mode.name, func(b *testing.B) {
			p, err := static.New("users", static.Config{Htpasswd: path}, providers.Deps{})
			if err != nil {
				b.Fatal(err)
			}
			prov := &countingProvider{Provider: p}
			srv := benchServer(b, 10, ReuseConfig{}, prov)
			if mode.limits {
				ac, err := NewAbuseControl(RateLimitConfig{Enabled: true}, nil, nil)
				if err != nil {
					b.Fatal(err)
				}
				srv.opts.Abuse = ac
			}
			for b.Loop() {
				r := runSpray(b, srv, prov, mode.attackers)
				b.ReportMetric(r.p(r.cred, 50), "cred-p50-ms")
				b.ReportMetric(r.p(r.cred, 99), "cred-p99-ms")
				b.ReportMetric(r.p(r.anon, 50), "anon-p50-ms")
				b.ReportMetric(r.p(r.anon, 99), "anon-p99-ms")
				b.ReportMetric(float64(r.tokens)/sprayWindow.Seconds(), "good-tokens/s")
				b.ReportMetric(float64(r.bcrypt)/sprayWindow.Seconds(), "bcrypt/s")
				b.ReportMetric(float64(r.attacks)/sprayWindow.Seconds(), "attacks/s")
				b.ReportMetric(float64(r.goodFailed), "good-failed")
			}
		})
	}
}

type sprayResult struct {
	cred, anon              []time.Duration
	tokens, bcrypt, attacks int64
	goodFailed              int
}

// p is the q-th percentile of d in milliseconds.
func (sprayResult) p(d []time.Duration, q int) float64 {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return float64(d[(len(d)-1)*q/100]) / float64(time.Millisecond)
}

func runSpray(b *testing.B, srv *Server, prov *countingProvider, attackers int) sprayResult {
	b.Helper()
	query := "service=registry.bench&scope=repository:bench/app:pull"
	anonQuery := "service=registry.bench&scope=repository:public/app:pull"
	send := func(addr, q, user, pass string) int {
		r := httptest.NewRequest(http.MethodGet, "/token?"+q, nil)
		r.RemoteAddr = addr
		if user != "" {
			r.SetBasicAuth(user, pass)
		}
		w := &discardWriter{h: http.Header{}}
		srv.ServeHTTP(w, r)
		return w.status
	}
	// Warm the cache with the good credentials.
	for i := range sprayGood {
		if code := send(fmt.Sprintf("203.0.113.%d:1", i), query, "user"+strconv.Itoa(i), "good-pw"); code != http.StatusOK {
			b.Fatalf("warm-up: status %d", code)
		}
	}
	calls0 := prov.calls.Load()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var attacks atomic.Int64
	for i := range attackers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			addr := fmt.Sprintf("198.51.%d.%d:1", 100+i/250, i%250)
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				send(addr, query, "user"+strconv.Itoa(n%sprayGood), fmt.Sprintf("guess-%d-%d", i, n))
				attacks.Add(1)
				time.Sleep(time.Millisecond)
			}
		}()
	}
	var mu sync.Mutex
	var res sprayResult
	client := func(i int, anon bool) {
		defer wg.Done()
		addr, user, pass, q := fmt.Sprintf("203.0.113.%d:1", i), "user"+strconv.Itoa(i), "good-pw", query
		if anon {
			addr, user, pass, q = fmt.Sprintf("192.0.2.%d:1", i), "", "", anonQuery
		}
		var lat []time.Duration
		failed := 0
		next := time.Now()
		for {
			select {
			case <-stop:
				mu.Lock()
				if anon {
					res.anon = append(res.anon, lat...)
				} else {
					res.cred = append(res.cred, lat...)
				}
				res.goodFailed += failed
				res.tokens += int64(len(lat) - failed)
				mu.Unlock()
				return
			default:
			}
			// Latency counts from when the request was due, so time spent
			// waiting for a core before sending counts too.
			time.Sleep(time.Until(next))
			if send(addr, q, user, pass) != http.StatusOK {
				failed++
			}
			lat = append(lat, time.Since(next))
			next = next.Add(sprayPace)
		}
	}
	for i := range sprayGood {
		wg.Add(1)
		go client(i, false)
	}
	for i := range sprayAnonymous {
		wg.Add(1)
		go client(i, true)
	}
	time.Sleep(sprayWindow)
	close(stop)
	wg.Wait()
	res.bcrypt, res.attacks = prov.calls.Load()-calls0, attacks.Load()
	return res
}
