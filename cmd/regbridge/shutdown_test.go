package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// freeAddr returns a loopback address that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestASIGTERMUnderLoadLeavesNoRequestWithoutAResponse runs 64 keep-alive
// clients against the real listener, stops the server the way SIGTERM does,
// and counts requests that got no response. Each client behaves like a load
// balancer that stops routing to the replica once it is told to close its
// connection.
func TestASIGTERMUnderLoadLeavesNoRequestWithoutAResponse(t *testing.T) {
	addr := freeAddr(t)
	_, rt, _ := startBridge(t, map[string]string{
		"config.yaml": "listen: " + addr + "\nshutdown: {drain: 2s}\n" + reloadConfig,
		"policy.yaml": "version: 1\nrules:\n  - {id: a, who: anyone, grant: [{repository: \"public/**\", actions: [pull]}]}\n",
	}, time.Now)
	ctx, sigterm := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rt.run(ctx) }()
	url := "http://" + addr + "/token?service=registry.example.com&scope=repository:public/x:pull"
	waitUp(t, "http://"+addr+"/healthz")

	const workers, maxPerWorker = 64, 2000
	var sent, answered, failed, closed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	deadline := time.Now().Add(20 * time.Second)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}, Timeout: 10 * time.Second}
			defer c.CloseIdleConnections()
			for i := 0; i < maxPerWorker && time.Now().Before(deadline); i++ {
				sent.Add(1)
				resp, err := c.Get(url)
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				answered.Add(1)
				if resp.Close {
					closed.Add(1)
					return
				}
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	sigterm()
	wg.Wait()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	t.Logf("sent %d, answered %d, told to close %d, without a response %d", sent.Load(), answered.Load(), closed.Load(), failed.Load())
	if failed.Load() != 0 {
		t.Fatalf("%d of %d requests got no response (first: %v)", failed.Load(), sent.Load(), firstErr.Load())
	}
	if closed.Load() != workers {
		t.Fatalf("%d of %d clients were told to close their connection", closed.Load(), workers)
	}
}

func TestReadinessTurnsOffAtOnceWhenDraining(t *testing.T) {
	ts, rt, _ := startBridge(t, map[string]string{
		"config.yaml": reloadConfig,
		"policy.yaml": "version: 1\nrules:\n  - {id: a, who: anyone, grant: [{repository: \"public/**\", actions: [pull]}]}\n",
	}, time.Now)
	if code := statusOf(t, ts.URL+"/readyz"); code != http.StatusOK {
		t.Fatalf("before: %d", code)
	}
	rt.srv.StartDrain()
	if code := statusOf(t, ts.URL+"/readyz"); code != http.StatusServiceUnavailable {
		t.Fatalf("draining: /readyz %d, want 503", code)
	}
	resp, err := http.Get(ts.URL + "/token?service=registry.example.com&scope=repository:public/x:pull")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !resp.Close {
		t.Fatalf("draining: /token %d, close %v; want 200 with Connection: close", resp.StatusCode, resp.Close)
	}
}

func TestShutdownDrainOutOfRangeIsAConfigError(t *testing.T) {
	_, err := parseConfig([]byte("shutdown: {drain: -1s}\n"+reloadConfig), "regbridge.yaml", nil)
	if err == nil || !strings.Contains(err.Error(), "regbridge.yaml:1: shutdown.drain") {
		t.Fatalf("err = %v, want shutdown.drain named", err)
	}
}

func statusOf(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func waitUp(t *testing.T, url string) {
	t.Helper()
	for range 200 {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s never answered", url)
}
