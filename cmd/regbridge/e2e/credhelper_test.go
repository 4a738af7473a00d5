package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// credHelper is docker-credential-regbridge built from the working tree for
// one person: Dir holds a wrapper script named docker-credential-regbridge
// that pins the person's XDG_CONFIG_HOME, so that every client finds the
// same configuration and login store whatever HOME it runs with.
type credHelper struct {
	Dir     string // put on a client's PATH
	Wrapper string // Dir/docker-credential-regbridge
	Home    string // the person's HOME; XDG_CONFIG_HOME is Home/config
}

// buildCredHelper builds the helper into a temporary directory and writes
// its wrapper and the person's helper configuration (yaml, the content of
// credential-helper.yaml).
func buildCredHelper(t *testing.T, yaml string) *credHelper {
	t.Helper()
	needE2E(t)
	h := &credHelper{Dir: t.TempDir(), Home: t.TempDir()}
	bin := filepath.Join(h.Dir, "helper.bin")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/regbridge/regbridge/cmd/docker-credential-regbridge")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build docker-credential-regbridge: %v\n%s", err, out)
	}
	h.Wrapper = filepath.Join(h.Dir, "docker-credential-regbridge")
	script := fmt.Sprintf("#!/bin/sh\nXDG_CONFIG_HOME='%s' exec '%s' \"$@\"\n", filepath.Join(h.Home, "config"), bin)
	if err := os.WriteFile(h.Wrapper, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	cfgDir := filepath.Join(h.Home, "config", "regbridge")
	if err := os.MkdirAll(cfgDir, 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(cfgDir, "credential-helper.yaml"), yaml)
	return h
}

// Run runs the helper (through its wrapper) to completion.
func (h *credHelper) Run(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return runCmd(t, h.Home, baseEnv(h.Home), stdin, h.Wrapper, args...)
}

// PathEnv is the PATH variable that puts the helper first.
func (h *credHelper) PathEnv() string {
	return "PATH=" + h.Dir + string(os.PathListSeparator) + os.Getenv("PATH")
}

// LoginDir is the person's login store.
func (h *credHelper) LoginDir() string { return filepath.Join(h.Home, "config", "regbridge", "logins") }

// StoredRefreshToken reads the refresh token of the one login in the
// store.
func (h *credHelper) StoredRefreshToken(t *testing.T) string {
	t.Helper()
	entries, err := os.ReadDir(h.LoginDir())
	if err != nil || len(entries) != 1 {
		t.Fatalf("login store: %v, %v; want one login", entries, err)
	}
	b, err := os.ReadFile(filepath.Join(h.LoginDir(), entries[0].Name()))
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.Unmarshal(b, &rec); err != nil || rec.RefreshToken == "" {
		t.Fatalf("login file: %v, no refresh token", err)
	}
	return rec.RefreshToken
}

// deviceLogin is a running `docker-credential-regbridge login`.
type deviceLogin struct {
	cmd      *exec.Cmd
	stdout   bytes.Buffer
	lines    chan string
	stderr   strings.Builder // every line, for failure messages
	done     chan error
	VerifURI string
	UserCode string
}

// loginPrompt is the line the helper prints for the person.
var loginPrompt = regexp.MustCompile(`open (\S+) and enter the code (\S+)`)

// StartLogin starts `login host` and waits for the verification URI and
// user code it prints.
func (h *credHelper) StartLogin(t *testing.T, host string) *deviceLogin {
	t.Helper()
	l := &deviceLogin{lines: make(chan string, 64), done: make(chan error, 1)}
	l.cmd = exec.Command(h.Wrapper, "login", host)
	l.cmd.Dir = h.Home
	l.cmd.Env = baseEnv(h.Home)
	l.cmd.Stdout = &l.stdout
	l.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pipe, err := l.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := l.cmd.Start(); err != nil {
		t.Fatalf("start login: %v", err)
	}
	t.Cleanup(func() { syscall.Kill(-l.cmd.Process.Pid, syscall.SIGKILL) })
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			l.lines <- sc.Text()
		}
		close(l.lines)
		l.done <- l.cmd.Wait()
	}()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case line, ok := <-l.lines:
			if !ok {
				t.Fatalf("login ended without a prompt:\n%s", l.stderr.String())
			}
			l.stderr.WriteString(line + "\n")
			if m := loginPrompt.FindStringSubmatch(line); m != nil {
				l.VerifURI, l.UserCode = m[1], m[2]
				return l
			}
		case <-timeout:
			t.Fatalf("login printed no verification URI and code within 20s:\n%s", l.stderr.String())
		}
	}
}

// Wait waits for the login to end and returns all it printed on stderr and
// its exit error.
func (l *deviceLogin) Wait(t *testing.T, within time.Duration) (string, error) {
	t.Helper()
	timeout := time.After(within)
	for {
		select {
		case line, ok := <-l.lines:
			if ok {
				l.stderr.WriteString(line + "\n")
				continue
			}
			select {
			case err := <-l.done:
				return l.stderr.String(), err
			case <-timeout:
			}
		case <-timeout:
		}
		t.Fatalf("login did not end within %s:\n%s", within, l.stderr.String())
	}
}

// confirmDevice plays the person at the zitadel example OP's device pages:
// it enters the user code with the test user's credentials, then allows
// the device (action "allowed" or "denied").
func confirmDevice(t *testing.T, op *zitadelOP, verifURI, userCode, action string) {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(u string, form url.Values) string {
		resp, err := client.PostForm(u, form)
		if err != nil {
			t.Fatalf("zitadel: POST %s: %v", u, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if resp.StatusCode != http.StatusOK {
			loc, _ := resp.Location()
			t.Fatalf("zitadel: POST %s: %s (redirect %v): %s", u, resp.Status, loc, b)
		}
		return string(b)
	}
	base := strings.TrimSuffix(verifURI, "/")
	page := post(base+"/login", url.Values{"user_code": {userCode}, "username": {"test-user@" + op.host}, "password": {"verysecure"}})
	if !strings.Contains(page, "regbridge-cli") {
		t.Errorf("zitadel: the confirmation page does not name the client regbridge-cli:\n%s", page)
	}
	if got := post(base+"/confirm", url.Values{"action": {action}}); !strings.Contains(got, "Device authorization "+action) {
		t.Fatalf("zitadel: confirm answered %q", got)
	}
}

// helperCredHelpersConfig is a docker config.json that sends host to the
// regbridge credential helper.
func helperCredHelpersConfig(host string) string {
	return `{"credHelpers": {"` + host + `": "regbridge"}}`
}
