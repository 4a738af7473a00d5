package giteatest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Environment variables read by Locate.
const (
	EnvTools    = "REGBRIDGE_E2E_TOOLS"
	EnvSource   = "REGBRIDGE_GITEA_SRC"
	EnvRequired = "REGBRIDGE_E2E_REQUIRED"
)

// Version is the pinned Gitea version.
const Version = "1.27.3"

// AdminUser and AdminPassword are the site administrator created at setup.
const (
	AdminUser     = "root0"
	AdminPassword = "Root0-pass-123456"
)

// Server is one running Gitea behind its counting proxy.
type Server struct {
	// URL is the forge's web URL (the proxy), e.g. http://127.0.0.1:41234.
	URL string
	// AdminToken is an `all` token of AdminUser.
	AdminToken string

	bin, src, dir string
	giteaPort     int
	proxy         *proxy
	cmd           *exec.Cmd
	done          chan struct{}
}

// Locate returns the Gitea binary and its module source directory, or
// skips t (fails it when REGBRIDGE_E2E_REQUIRED=1) when they are absent.
func Locate(t testing.TB) (bin, src string) {
	t.Helper()
	tools := os.Getenv(EnvTools)
	src = os.Getenv(EnvSource)
	if src == "" && tools != "" {
		src = filepath.Join(filepath.Dir(tools), "gitea-src")
	}
	bin = filepath.Join(tools, "gitea")
	var missing string
	switch {
	case tools == "":
		missing = EnvTools + " is not set"
	case !isFile(bin):
		missing = bin + " not found"
	case !isFile(filepath.Join(src, "options", "locale", "locale_en-US.json")):
		missing = "the Gitea module source (options/, templates/) not found at " + src
	default:
		if out, err := exec.Command(bin, "--version").Output(); err != nil || !strings.HasPrefix(string(out), "gitea version "+Version+" ") {
			missing = fmt.Sprintf("%s is not Gitea %s (%v: %s)", bin, Version, err, strings.TrimSpace(string(out)))
		}
	}
	if missing != "" {
		if os.Getenv(EnvRequired) == "1" {
			t.Fatalf("real Gitea needed: %s (%s=1; run .ci/install-tools)", missing, EnvRequired)
		}
		t.Skipf("skipping: real Gitea needed: %s (run .ci/install-tools and set %s)", missing, EnvTools)
	}
	return bin, src
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// Start sets up and starts a fresh Gitea; t.Cleanup stops it.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, src := Locate(t)
	s := &Server{bin: bin, src: src, dir: t.TempDir()}
	px, err := newProxy()
	if err != nil {
		t.Fatal(err)
	}
	s.proxy = px
	s.URL = "http://" + px.addr
	s.giteaPort = freePort(t)
	px.target = "127.0.0.1:" + strconv.Itoa(s.giteaPort)
	s.setup(t)
	t.Cleanup(func() { s.Stop(t); px.close() })
	s.Start(t)
	return s
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// gitea runs a CLI command against the server's configuration.
func (s *Server) gitea(t testing.TB, args ...string) string {
	t.Helper()
	cmd := exec.Command(s.bin, append([]string{"--work-path", s.dir, "--config", s.ini()}, args...)...)
	cmd.Env = s.env()
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("gitea %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr)
	}
	return strings.TrimSpace(string(out))
}

func (s *Server) env() []string {
	return append(os.Environ(), "HOME="+s.dir, "GITEA_WORK_DIR="+s.dir)
}

func (s *Server) ini() string { return filepath.Join(s.dir, "custom", "conf", "app.ini") }

// setup writes app.ini (forges.md §6.2), migrates and creates root0.
func (s *Server) setup(t testing.TB) {
	t.Helper()
	for _, d := range []string{"custom/conf", "data", "log", "repos"} {
		if err := os.MkdirAll(filepath.Join(s.dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	root := ""
	if os.Getuid() == 0 {
		root = "I_AM_BEING_UNSAFE_RUNNING_AS_ROOT = true"
	}
	secret := func(kind string) string {
		out, err := exec.Command(s.bin, "generate", "secret", kind).Output()
		if err != nil {
			t.Fatalf("gitea generate secret %s: %v", kind, err)
		}
		return strings.TrimSpace(string(out))
	}
	ini := strings.NewReplacer("{USER}", u.Username, "{DIR}", s.dir, "{ROOTLINE}", root,
		"{PORT}", strconv.Itoa(s.giteaPort), "{ROOT_URL}", s.URL+"/", "{SRC}", s.src,
		"{SECRET_KEY}", secret("SECRET_KEY"), "{INTERNAL_TOKEN}", secret("INTERNAL_TOKEN"),
		"{JWT_SECRET}", secret("JWT_SECRET")).Replace(appINI)
	if err := os.WriteFile(s.ini(), []byte(ini), 0o600); err != nil {
		t.Fatal(err)
	}
	s.gitea(t, "migrate")
	s.gitea(t, "admin", "user", "create", "--username", AdminUser, "--password", AdminPassword,
		"--email", AdminUser+"@example.test", "--admin", "--must-change-password=false")
	s.AdminToken = s.gitea(t, "admin", "user", "generate-access-token", "--username", AdminUser,
		"--token-name", "setup", "--scopes", "all", "--raw")
}

// Start starts Gitea (after Stop: again, on the same address, same data)
// and waits for its API to answer.
func (s *Server) Start(t testing.TB) {
	t.Helper()
	if s.cmd != nil {
		t.Fatal("giteatest: already running")
	}
	logf, err := os.OpenFile(filepath.Join(s.dir, "log", "web.out"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(s.bin, "--work-path", s.dir, "--config", s.ini(), "web")
	cmd.Env = s.env()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatal(err)
	}
	s.cmd, s.done = cmd, make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(s.done) }()
	if err := s.proxy.listen(); err != nil {
		t.Fatalf("giteatest: proxy: %v", err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			b, _ := os.ReadFile(filepath.Join(s.dir, "log", "web.out"))
			t.Fatalf("giteatest: gitea exited at start:\n%s", tail(string(b), 2000))
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+s.proxy.target+"/api/v1/version", nil)
		resp, err := http.DefaultClient.Do(req)
		cancel()
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("giteatest: gitea did not answer within 60s")
}

// Stop stops Gitea (SIGTERM, then SIGKILL after 10s) and closes the
// proxy's listener, so that the forge's URL refuses connections.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	s.proxy.stop()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// appINI is forges.md §6.2's configuration: loopback only, SQLite, no
// mail, no SSH, no LFS, no cron, no Actions. ROOT_URL is the proxy.
const appINI = `APP_NAME  = regbridge-test
RUN_MODE  = prod
RUN_USER  = {USER}
WORK_PATH = {DIR}
{ROOTLINE}

[server]
PROTOCOL         = http
HTTP_ADDR        = 127.0.0.1
HTTP_PORT        = {PORT}
DOMAIN           = 127.0.0.1
ROOT_URL         = {ROOT_URL}
DISABLE_SSH      = true
START_SSH_SERVER = false
LFS_START_SERVER = false
STATIC_ROOT_PATH = {SRC}
APP_DATA_PATH    = {DIR}/data

[database]
DB_TYPE = sqlite3
PATH    = {DIR}/data/gitea.db
SQLITE_JOURNAL_MODE = WAL

[repository]
ROOT = {DIR}/repos

[security]
INSTALL_LOCK   = true
SECRET_KEY     = {SECRET_KEY}
INTERNAL_TOKEN = {INTERNAL_TOKEN}

[oauth2]
JWT_SECRET = {JWT_SECRET}

[service]
DISABLE_REGISTRATION       = true
REGISTER_EMAIL_CONFIRM     = false
ENABLE_NOTIFY_MAIL         = false
DEFAULT_KEEP_EMAIL_PRIVATE = false

[mailer]
ENABLED = false

[session]
PROVIDER = memory

[cache]
ADAPTER = memory

[indexer]
ISSUE_INDEXER_TYPE   = db
REPO_INDEXER_ENABLED = false

[cron]
ENABLED = false

[cron.update_checker]
ENABLED = false

[actions]
ENABLED = false

[log]
MODE      = file
LEVEL     = Warn
ROOT_PATH = {DIR}/log
`
