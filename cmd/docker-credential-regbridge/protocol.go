package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
)

// errNotFound is the protocol's not-found answer: docker, crane and oras
// then go on without credentials.
var errNotFound = errors.New("credentials not found in native keychain")

// maxRequest caps what is read from stdin.
const maxRequest = 64 << 10

// Credentials is the protocol's JSON object (get's answer, store's input).
type Credentials struct {
	ServerURL string `json:"ServerURL"`
	Username  string `json:"Username"`
	Secret    string `json:"Secret"`
}

const usage = `usage: docker-credential-regbridge get|store|erase|list|version
       docker-credential-regbridge login REGISTRY | logout REGISTRY
       docker-credential-regbridge kubelet   (image credential provider)
`

// run executes one command; failures are written to stdout, as the
// credential-helper protocol wants, and give exit status 1.
func (h *helper) run(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(h.stderr, usage)
		return 2
	}
	var err error
	switch cmd := args[0]; {
	case cmd == "get" && len(args) == 1:
		err = h.get(ctx, stdin, stdout)
	case cmd == "store" && len(args) == 1:
		err = h.store(stdin)
	case cmd == "erase" && len(args) == 1:
		err = h.erase(stdin)
	case cmd == "list" && len(args) == 1:
		err = h.list(stdout)
	case cmd == "version" && len(args) == 1:
		fmt.Fprintln(stdout, "docker-credential-regbridge", version())
	case cmd == "login" && len(args) == 2:
		err = h.login(ctx, args[1])
	case cmd == "logout" && len(args) == 2:
		err = h.logout(args[1])
	case cmd == "kubelet" && len(args) == 1:
		err = h.kubelet(ctx, stdin, stdout)
	default:
		fmt.Fprint(h.stderr, usage)
		return 2
	}
	if err != nil {
		if args[0] == "login" || args[0] == "logout" || args[0] == "kubelet" {
			fmt.Fprintln(h.stderr, "docker-credential-regbridge:", err)
		} else {
			fmt.Fprintln(stdout, err)
		}
		return 1
	}
	return 0
}

// readServerURL reads the server URL get and erase receive on stdin.
func readServerURL(r io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxRequest+1))
	if err != nil {
		return "", fmt.Errorf("helper: read: %w", err)
	}
	if len(b) > maxRequest {
		return "", errors.New("helper: the server URL is too long")
	}
	s := string(bytes.TrimSpace(b))
	if s == "" {
		return "", errors.New("helper: no server URL on stdin")
	}
	return s, nil
}

// registryHost returns the lower-case host[:port] of a server URL as
// clients send it: "registry.example.com", "registry.example.com:5000",
// "https://registry.example.com/v1/" or "127.0.0.1:5000/path".
func registryHost(serverURL string) (string, error) {
	s := serverURL
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil {
		return "", fmt.Errorf("helper: %q is not a registry address", serverURL)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return "", fmt.Errorf("helper: %q is not a registry address", serverURL)
	}
	return strings.ToLower(u.Host), nil
}

func (h *helper) get(ctx context.Context, stdin io.Reader, stdout io.Writer) error {
	serverURL, err := readServerURL(stdin)
	if err != nil {
		return err
	}
	host, err := registryHost(serverURL)
	if err != nil {
		return errNotFound
	}
	cfg, err := h.config()
	if err != nil {
		return err
	}
	reg, ok := cfg.Registries[host]
	if !ok {
		return errNotFound
	}
	cred, err := h.credential(ctx, host, reg, "")
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(Credentials{ServerURL: serverURL, Username: reg.username(), Secret: cred.secret.Reveal()})
}

// store refuses: regbridge credentials are minted on each get, so there is
// nothing long-lived to keep, and a password given to `docker login` is not
// written anywhere.
func (h *helper) store(stdin io.Reader) error {
	b, err := io.ReadAll(io.LimitReader(stdin, maxRequest+1))
	if err != nil {
		return fmt.Errorf("helper: store: %w", err)
	}
	var c Credentials
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if len(b) > maxRequest || dec.Decode(&c) != nil || c.ServerURL == "" {
		return errors.New("helper: store: stdin is not a credentials object")
	}
	return errors.New("helper: store: not supported: regbridge credentials are minted on every get; people log in with `docker-credential-regbridge login REGISTRY`")
}

// erase forgets a stored login for the registry (docker logout).
func (h *helper) erase(stdin io.Reader) error {
	serverURL, err := readServerURL(stdin)
	if err != nil {
		return err
	}
	host, err := registryHost(serverURL)
	if err != nil {
		return errNotFound
	}
	return h.logout(host)
}

// list names every configured registry with the username get answers.
func (h *helper) list(stdout io.Writer) error {
	cfg, err := h.config()
	if err != nil {
		return err
	}
	out := map[string]string{}
	hosts := make([]string, 0, len(cfg.Registries))
	for host := range cfg.Registries {
		hosts = append(hosts, host)
	}
	sort.Strings(hosts)
	for _, host := range hosts {
		out[host] = cfg.Registries[host].username()
	}
	return json.NewEncoder(stdout).Encode(out)
}
