package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// stopGrace is how long a stopped process gets between SIGTERM and SIGKILL.
const stopGrace = 5 * time.Second

// proc is a server started by a test: its own process group, its output in
// its own log file, stopped by the test's cleanup.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error // set when done is closed
}

// startProc starts a long-running server in its own process group, with
// stdout and stderr in dir/<name>.log. It is stopped (SIGTERM to the group,
// SIGKILL after stopGrace) when the test ends; on failure the tail of its log
// is printed.
func startProc(t *testing.T, name, dir string, env []string, bin string, args ...string) *proc {
	t.Helper()
	logPath := filepath.Join(dir, name+".log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatalf("%s: open log: %v", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = f
	cmd.Stderr = f
	cmd.Stdin = nil
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("%s: start %s: %v", name, bin, err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			t.Logf("%s: last lines of %s:\n%s", name, logPath, tailFile(logPath, 40))
		}
	})
	return p
}

// stop ends the process group: SIGTERM, then SIGKILL after stopGrace.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	select {
	case <-p.done:
		return
	default:
	}
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(stopGrace):
		t.Logf("%s: no exit %s after SIGTERM, sending SIGKILL", p.name, stopGrace)
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
}

// exited reports whether the process has ended, and how.
func (p *proc) exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// waitReady polls url until it answers with status want. It returns an
// error after timeout, or as soon as the process exits.
func (p *proc) waitReady(url string, want int, timeout time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		if done, err := p.exited(); done {
			return fmt.Errorf("%s exited before it was ready (%v); last lines of %s:\n%s", p.name, err, p.log, tailFile(p.log, 40))
		}
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == want {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready after %s: GET %s: last answer %s, want %d; last lines of %s:\n%s",
		p.name, timeout, url, last, want, p.log, tailFile(p.log, 40))
}

// serverSpec is how to start a server on a given port.
type serverSpec struct {
	env      []string
	bin      string
	args     []string
	readyURL string // polled until it answers readyCode
	ready    int
	timeout  time.Duration
}

// startServer starts a server on a free loopback port and waits until it is
// ready. spec is called with the port; if the port was taken between
// choosing and binding it (the process exits saying so), it tries again
// with another port, up to three times.
func startServer(t *testing.T, name, dir string, spec func(port int) serverSpec) (*proc, int) {
	t.Helper()
	return startServerAt(t, name, dir, 0, spec)
}

// startServerAt is startServer on a fixed port, tried once; port 0 means
// startServer's free ports with retries.
func startServerAt(t *testing.T, name, dir string, fixed int, spec func(port int) serverSpec) (*proc, int) {
	t.Helper()
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		port := fixed
		if port == 0 {
			port = freePort(t)
		}
		s := spec(port)
		p := startProc(t, name, dir, s.env, s.bin, s.args...)
		if err = p.waitReady(s.readyURL, s.ready, s.timeout); err == nil {
			return p, port
		}
		p.stop(t)
		if fixed != 0 || !strings.Contains(p.logText(t), "address already in use") {
			break
		}
		t.Logf("%s: port %d was taken, trying another", name, port)
	}
	t.Fatal(err)
	return nil, 0
}

// logText returns the process log so far.
func (p *proc) logText(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(p.log)
	if err != nil {
		t.Fatalf("%s: read log: %v", p.name, err)
	}
	return string(b)
}

// tailFile returns the last n lines of a file (or why it could not).
func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// result is what a finished command produced.
type result struct {
	args   []string
	code   int
	stdout string
	stderr string
}

func (r result) String() string {
	return fmt.Sprintf("%s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// commandTimeout bounds every client or CLI invocation.
const commandTimeout = 60 * time.Second

// runCmd runs a short-lived command to completion, with stdin (may be empty),
// in its own process group that is killed when commandTimeout passes.
func runCmd(t *testing.T, dir string, env []string, stdin string, bin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errb
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	r := result{args: append([]string{filepath.Base(bin)}, args...), stdout: out.String(), stderr: errb.String()}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		r.code = exitErr.ExitCode()
	default:
		t.Fatalf("%s: %v", strings.Join(r.args, " "), err)
	}
	if ctx.Err() != nil {
		t.Fatalf("%s: no exit within %s\n%s", strings.Join(r.args, " "), commandTimeout, r)
	}
	return r
}

// baseEnv is the environment every child gets: a PATH, a private HOME and
// nothing from the developer's own configuration.
func baseEnv(home string) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"TMPDIR=" + home,
		"LANG=C.UTF-8",
		"NO_PROXY=*",
	}
}

// itoa is strconv.Itoa, short for building addresses.
func itoa(i int) string { return strconv.Itoa(i) }
