package main

import (
	"bufio"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat; it
// is 100 on every Linux architecture Go supports.
const clockTicks = 100

// procCPU returns the user and system CPU time the process pid has used
// (all its threads), from /proc/<pid>/stat.
func procCPU(pid int) (time.Duration, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; fields after it are
	// counted from the closing parenthesis.
	s := string(raw)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: malformed times", pid)
	}
	return time.Duration(ut+st) * time.Second / clockTicks, nil
}

// runQueueWait returns how long the threads of process pid have waited
// on a CPU run queue, runnable but not running (the second field of
// /proc/<pid>/task/*/schedstat; threads that already exited are not
// counted). On a machine shared with the load generator this is the
// scheduling share of the latency.
func runQueueWait(pid int) (time.Duration, error) {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return 0, err
	}
	var sum time.Duration
	for _, t := range tasks {
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/schedstat", pid, t.Name()))
		if err != nil {
			continue // the thread exited
		}
		f := strings.Fields(string(raw))
		if len(f) < 2 {
			return 0, fmt.Errorf("/proc/%d/task/%s/schedstat: malformed", pid, t.Name())
		}
		ns, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/task/%s/schedstat: %w", pid, t.Name(), err)
		}
		sum += time.Duration(ns)
	}
	return sum, nil
}

// rusageThread is RUSAGE_THREAD (Linux): the calling thread's usage.
const rusageThread = 1

func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// signatureCost measures the CPU time of one raw signature with signer and
// alg — a hash of a token-sized signing input and the private-key
// operation, nothing else — as the median of rounds of n signatures on one
// locked OS thread.
func signatureCost(signer crypto.Signer, alg jose.SignatureAlgorithm, n, rounds int) (time.Duration, error) {
	input := make([]byte, 900) // header with x5c and claims, base64url: about 900 bytes
	rand.Read(input)
	sign := func() error {
		var err error
		switch alg {
		case jose.ES256, jose.RS256, jose.PS256:
			d := sha256.Sum256(input)
			var opts crypto.SignerOpts = crypto.SHA256
			if alg == jose.PS256 {
				opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}
			}
			_, err = signer.Sign(rand.Reader, d[:], opts)
		case jose.ES384:
			d := sha512.Sum384(input)
			_, err = signer.Sign(rand.Reader, d[:], crypto.SHA384)
		case jose.ES512:
			d := sha512.Sum512(input)
			_, err = signer.Sign(rand.Reader, d[:], crypto.SHA512)
		case jose.EdDSA:
			_, err = signer.(ed25519.PrivateKey).Sign(rand.Reader, input, crypto.Hash(0))
		default:
			err = fmt.Errorf("no raw signature measure for %s", alg)
		}
		return err
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for range max(n/10, 1) { // warm up
		if err := sign(); err != nil {
			return 0, err
		}
	}
	per := make([]time.Duration, rounds)
	for r := range rounds {
		t0 := threadCPU()
		for range n {
			sign()
		}
		per[r] = (threadCPU() - t0) / time.Duration(n)
	}
	slices.Sort(per)
	return per[rounds/2], nil
}

// goMetrics reads the unlabelled samples of the server's /metrics.
func goMetrics(base string) (map[string]float64, error) {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s/metrics: %s", base, resp.Status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") || strings.Contains(name, "{") {
			continue
		}
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			out[name] = f
		}
	}
	if _, ok := out["go_memstats_mallocs_total"]; !ok {
		return nil, fmt.Errorf("%s/metrics has no go_memstats_mallocs_total", base)
	}
	return out, nil
}
