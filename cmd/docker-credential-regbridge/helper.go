package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/regbridge/regbridge/providers/upstream"
)

// Environment variables the helper reads for itself.
const (
	// envConfig names the configuration file (default
	// $XDG_CONFIG_HOME/regbridge/credential-helper.yaml).
	envConfig = "REGBRIDGE_CREDENTIAL_HELPER_CONFIG"
	// envStateDir names the directory of login files (default
	// $XDG_CONFIG_HOME/regbridge/logins).
	envStateDir = "REGBRIDGE_CREDENTIAL_HELPER_STATE"
)

// callTimeout bounds one HTTP call and one command.
const callTimeout = 15 * time.Second

// helper is one invocation with its dependencies.
type helper struct {
	getenv func(string) string
	// client makes every HTTP call: a timeout and no redirects.
	client *http.Client
	now    func() time.Time
	// sleep waits between device-flow polls.
	sleep func(ctx context.Context, d time.Duration) error
	// command runs argv and returns its standard output.
	command func(ctx context.Context, argv []string, env []string) ([]byte, error)
	stderr  io.Writer
	// configPath and stateDir are resolved from the environment when empty.
	configPath string
	stateDir   string
}

func newHelper(getenv func(string) string, stderr io.Writer) *helper {
	return &helper{
		getenv:  getenv,
		client:  upstream.NoRedirects(upstream.NewClient(callTimeout), callTimeout),
		now:     time.Now,
		sleep:   sleepContext,
		command: runCommand,
		stderr:  stderr,
	}
}

// runCommand runs argv without a shell, with the helper's environment plus
// env, and returns its standard output (capped).
func runCommand(ctx context.Context, argv []string, env []string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout = &limitedBuffer{buf: &out, max: maxToken}
	cmd.Stderr = &limitedBuffer{buf: &errb, max: 4096}
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s: %w: %s", argv[0], err, bytes.TrimSpace(errb.Bytes()))
	}
	return out.Bytes(), nil
}

// limitedBuffer keeps the first max bytes written to it.
type limitedBuffer struct {
	buf *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.buf.Len(); room > 0 {
		l.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func (h *helper) config() (*Config, error) {
	p := h.configPath
	if p == "" {
		p = h.getenv(envConfig)
	}
	if p == "" {
		dir, err := h.userConfigDir()
		if err != nil {
			return nil, err
		}
		p = filepath.Join(dir, "regbridge", "credential-helper.yaml")
	}
	return loadConfig(p)
}

func (h *helper) logins() (string, error) {
	if h.stateDir != "" {
		return h.stateDir, nil
	}
	if d := h.getenv(envStateDir); d != "" {
		return d, nil
	}
	dir, err := h.userConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "regbridge", "logins"), nil
}

// userConfigDir is os.UserConfigDir over the injected environment.
func (h *helper) userConfigDir() (string, error) {
	if d := h.getenv("XDG_CONFIG_HOME"); d != "" && filepath.IsAbs(d) {
		return d, nil
	}
	if home := h.getenv("HOME"); home != "" {
		return filepath.Join(home, ".config"), nil
	}
	return "", errors.New("helper: neither XDG_CONFIG_HOME nor HOME is set")
}

// version is the module version the binary was built from.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
