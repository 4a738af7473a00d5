package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// profiles fetches a CPU profile over most of a measured run, a 2 s
// execution trace from its second second (go tool trace -pprof=sched reads
// the scheduler latency from it), and an allocation and a mutex profile at
// its end from the server's admin listener (observability.pprof), into dir.
type profiles struct {
	dir, admin, name string
	wg               sync.WaitGroup
	err, traceErr    error
}

func startProfiles(ctx context.Context, dir, admin string, sc scenario, conns int, d time.Duration) *profiles {
	p := &profiles{dir: dir, admin: admin}
	if dir == "" || admin == "" {
		return p
	}
	p.name = fmt.Sprintf("%s-c%d", strings.NewReplacer(" ", "-", ",", "", "/", "-").Replace(sc.Name), conns)
	secs := max(int(d/time.Second)-1, 1)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.err = fetch(ctx, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", admin, secs), filepath.Join(dir, p.name+".cpu.pprof"))
	}()
	if d >= 4*time.Second {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			p.traceErr = fetch(ctx, "http://"+admin+"/debug/pprof/trace?seconds=2", filepath.Join(dir, p.name+".trace"))
		}()
	}
	return p
}

// finish waits for the CPU profile and fetches the others.
func (p *profiles) finish() error {
	if p.name == "" {
		return nil
	}
	p.wg.Wait()
	if p.err != nil {
		return p.err
	}
	if p.traceErr != nil {
		return p.traceErr
	}
	ctx := context.Background()
	if err := fetch(ctx, "http://"+p.admin+"/debug/pprof/allocs", filepath.Join(p.dir, p.name+".allocs.pprof")); err != nil {
		return err
	}
	return fetch(ctx, "http://"+p.admin+"/debug/pprof/mutex", filepath.Join(p.dir, p.name+".mutex.pprof"))
}

func fetch(ctx context.Context, url, file string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
