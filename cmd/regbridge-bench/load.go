package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Credential mixes.
const (
	MixAnonymous = "anonymous" // no credential
	MixStatic    = "static"    // one user, the same password every time
	MixUsers     = "users"     // K users, round-robin
	MixFresh     = "fresh"     // a credential the server has not seen, every request
	MixPull      = "pull"      // each worker is one client pulling one repository again and again
)

// loadSpec is one load run.
type loadSpec struct {
	URL      string
	Service  string
	Mix      string
	Users    int // K for users, the pool for fresh and pull
	User     string
	Password string
	Scopes   int // scopes per request
	Workers  int
	Duration time.Duration
	Requests int // 0: until Duration
	Timeout  time.Duration
}

// loadResult is what a load run measured on the client side.
type loadResult struct {
	Requests  int
	Errors    int
	ErrorsBy  map[string]int
	Elapsed   time.Duration
	Latencies []time.Duration // sorted
	Reused    int             // answers whose token equalled the previous one of that worker
}

// credentials returns the Authorization value of request i of worker w.
type credentials func(w, i int) string

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func (sp loadSpec) credentials() (credentials, error) {
	switch sp.Mix {
	case MixAnonymous:
		return func(int, int) string { return "" }, nil
	case MixStatic:
		h := basic(sp.User, sp.Password)
		return func(int, int) string { return h }, nil
	case MixUsers, MixPull:
		if sp.Users < 1 {
			return nil, fmt.Errorf("--users must be at least 1 for the %s mix", sp.Mix)
		}
		hs := make([]string, sp.Users)
		for i := range hs {
			hs[i] = basic("user"+strconv.Itoa(i), sp.Password)
		}
		if sp.Mix == MixPull {
			return func(w, _ int) string { return hs[w%len(hs)] }, nil
		}
		var n atomic.Uint64
		return func(int, int) string { return hs[n.Add(1)%uint64(len(hs))] }, nil
	case MixFresh:
		if sp.Users < 1 {
			return nil, fmt.Errorf("--users must be at least 1 for the fresh mix")
		}
		var n atomic.Uint64
		return func(int, int) string {
			return basic("user"+strconv.FormatUint((n.Add(1)-1)%uint64(sp.Users), 10), sp.Password)
		}, nil
	}
	return nil, fmt.Errorf("unknown mix %q (anonymous, static, users, fresh, pull)", sp.Mix)
}

// query returns the query string of worker w: Scopes scopes in bench/**.
func (sp loadSpec) query(w int) string {
	v := url.Values{"service": {sp.Service}}
	n := max(sp.Scopes, 1)
	for i := range n {
		repo := "bench/app" + strconv.Itoa(i)
		if sp.Mix == MixPull {
			repo = "bench/w" + strconv.Itoa(w) + "/app" + strconv.Itoa(i)
		}
		v.Add("scope", "repository:"+repo+":pull")
	}
	return v.Encode()
}

// run drives the server with sp.Workers keep-alive workers until the
// duration or the request count is reached, whichever is first.
func runLoad(ctx context.Context, sp loadSpec) (*loadResult, error) {
	creds, err := sp.credentials()
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{MaxIdleConns: sp.Workers * 2, MaxIdleConnsPerHost: sp.Workers * 2, MaxConnsPerHost: sp.Workers,
		DisableCompression: true, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: sp.Timeout}
	ctx, cancel := context.WithTimeout(ctx, sp.Duration)
	defer cancel()

	var issued atomic.Int64
	budget := int64(sp.Requests)
	type workerOut struct {
		lat      []time.Duration
		errs     map[string]int
		reused   int
		requests int
	}
	outs := make([]workerOut, sp.Workers)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range sp.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := &outs[w]
			o.errs = map[string]int{}
			o.lat = make([]time.Duration, 0, 4096)
			target := sp.URL + "?" + sp.query(w)
			var last string
			for i := 0; ctx.Err() == nil; i++ {
				if budget > 0 && issued.Add(1) > budget {
					return
				}
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
				if c := creds(w, i); c != "" {
					req.Header.Set("Authorization", c)
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					o.requests++
					o.errs["transport"]++
					continue
				}
				body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
				resp.Body.Close()
				d := time.Since(t0)
				o.requests++
				if err != nil || resp.StatusCode != http.StatusOK {
					if ctx.Err() != nil && err != nil {
						return
					}
					o.errs[strconv.Itoa(resp.StatusCode)]++
					continue
				}
				o.lat = append(o.lat, d)
				if tok := tokenField(body); tok != "" && tok == last {
					o.reused++
				} else {
					last = tok
				}
			}
		}()
	}
	wg.Wait()
	res := &loadResult{Elapsed: time.Since(start), ErrorsBy: map[string]int{}}
	for _, o := range outs {
		res.Requests += o.requests
		res.Latencies = append(res.Latencies, o.lat...)
		res.Reused += o.reused
		for k, v := range o.errs {
			res.ErrorsBy[k] += v
			res.Errors += v
		}
	}
	slices.Sort(res.Latencies)
	return res, nil
}

// tokenField extracts "token" from a token response without a full decode.
func tokenField(body []byte) string {
	s := string(body)
	i := strings.Index(s, `"token":"`)
	if i < 0 {
		return ""
	}
	s = s[i+9:]
	j := strings.IndexByte(s, '"')
	if j < 0 {
		return ""
	}
	return s[:j]
}

// percentile of sorted latencies, p in (0,100].
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
