// Package upstream holds the HTTP hygiene every provider applies to the
// servers it calls: timeouts, no redirects, capped bodies, and HTTPS except
// on loopback.
package upstream

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

// DefaultTimeout bounds one upstream call when the configuration sets none.
const DefaultTimeout = 5 * time.Second

// ErrRedirect is returned for any redirect an upstream answers with.
var ErrRedirect = errors.New("upstream: redirects are refused")

// NewClient returns an HTTP client that never follows redirects and gives up
// after timeout.
func NewClient(timeout time.Duration) *http.Client {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &http.Client{
		Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return ErrRedirect
		},
	}
}

// NoRedirects returns a shallow copy of c (or of a new client) that refuses
// redirects, keeping c's transport and timeout.
func NoRedirects(c *http.Client, timeout time.Duration) *http.Client {
	if c == nil {
		return NewClient(timeout)
	}
	cp := *c
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return ErrRedirect }
	if cp.Timeout == 0 {
		cp.Timeout = timeout
		if cp.Timeout <= 0 {
			cp.Timeout = DefaultTimeout
		}
	}
	return &cp
}

// ReadBody reads at most max bytes of r. A body longer than max is an error,
// never silently truncated.
func ReadBody(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("upstream: read body: %w", err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("upstream: body larger than %d bytes", max)
	}
	return b, nil
}

// CheckURL accepts https URLs, and http URLs whose host is a loopback
// address or "localhost" (or any host when allowInsecure is set). It does no
// I/O.
func CheckURL(raw string, allowInsecure bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("upstream: invalid URL %q: %w", raw, err)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("upstream: URL %q has no host", raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("upstream: URL %q must not carry credentials", raw)
	}
	switch u.Scheme {
	case "https":
		return u, nil
	case "http":
		if allowInsecure || IsLoopback(u.Hostname()) {
			return u, nil
		}
		return nil, fmt.Errorf("upstream: URL %q must use https (http is allowed only on loopback)", raw)
	default:
		return nil, fmt.Errorf("upstream: URL %q must use https", raw)
	}
}

// IsLoopback reports whether host is "localhost" or a loopback IP literal.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
