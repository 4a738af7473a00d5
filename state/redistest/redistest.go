// Package redistest runs a real redis-server for tests: on a free loopback
// port, in its own process group, with persistence off, stopped when the
// test ends.
//
// When redis-server is not installed the test is skipped, unless
// REGBRIDGE_E2E_REQUIRED=1, in which case it fails. REGBRIDGE_REDIS_SERVER
// names another binary. It is test tooling only.
package redistest

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Options shape a server.
type Options struct {
	// Password, when set, is required of clients (requirepass).
	Password string
}

// Server is a running redis-server.
type Server struct {
	// Addr is 127.0.0.1:port.
	Addr string

	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	once sync.Once
}

// Binary returns the redis-server to run, or skips (or fails, when the
// end-to-end suite is required) the test when there is none.
func Binary(t testing.TB) string {
	t.Helper()
	name := os.Getenv("REGBRIDGE_REDIS_SERVER")
	if name == "" {
		name = "redis-server"
	}
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("REGBRIDGE_E2E_REQUIRED") == "1" {
			t.Fatalf("redis-server not found (%v) and REGBRIDGE_E2E_REQUIRED=1: run .ci/install-tools", err)
		}
		t.Skipf("redis-server not found (%v): install it with .ci/install-tools", err)
	}
	return path
}

// Start runs a redis-server for the rest of the test.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	bin := Binary(t)
	var lastErr error
	// A free port can be taken between picking and binding it: try again.
	for range 3 {
		s, err := start(bin, t.TempDir(), opts)
		if err == nil {
			t.Cleanup(s.Stop)
			return s
		}
		lastErr = err
	}
	t.Fatalf("redistest: %v", lastErr)
	return nil
}

func start(bin, dir string, opts Options) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args := []string{
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir,
		"--daemonize", "no", "--logfile", "",
	}
	if opts.Password != "" {
		args = append(args, "--requirepass", opts.Password)
	}
	s := &Server{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), out: &syncBuffer{}, done: make(chan struct{})}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return nil, fmt.Errorf("redis-server exited at start:\n%s", s.out.String())
		default:
		}
		if ping(s.Addr, opts.Password) == nil {
			return s, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Stop()
	return nil, fmt.Errorf("redis-server did not answer PING on %s within 10s:\n%s", s.Addr, s.out.String())
}

// URL is redis://127.0.0.1:port/db.
func (s *Server) URL(db int) string { return fmt.Sprintf("redis://%s/%d", s.Addr, db) }

// Stop ends the server's process group and waits for it. It may be called
// more than once; later calls do nothing.
func (s *Server) Stop() {
	s.once.Do(func() {
		pid := s.cmd.Process.Pid
		_ = syscall.Kill(-pid, syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			<-s.done
		}
	})
}

// Output is what the server printed so far.
func (s *Server) Output() string { return s.out.String() }

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// ping sends PING (after AUTH when a password is set) in the inline
// protocol and expects +PONG.
func ping(addr, password string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	r := bufio.NewReader(c)
	if password != "" {
		if _, err := fmt.Fprintf(c, "*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n", len(password), password); err != nil {
			return err
		}
		if line, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(line, "+OK") {
			return fmt.Errorf("AUTH: %q %v", line, err)
		}
	}
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("PING: %q", line)
	}
	return nil
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
