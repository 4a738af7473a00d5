package ghtest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers/internal/fakeupstream"
)

// Options configure a fake GitHub. The zero value is usable: github.com
// mode (API at the root), plain http on 127.0.0.1, the real clock, a
// primary limit of 5,000 requests an hour per user.
type Options struct {
	// Enterprise serves the API under /api/v3 as GitHub Enterprise Server
	// does (forges.md §3.1), accepts account passwords as Basic, shows
	// suspended_at on every user, and has no rate limit unless RateLimit is
	// set (§3.6: disabled by default on Enterprise Server).
	Enterprise bool
	// TLS serves https with httptest's certificate (valid for 127.0.0.1
	// and example.com); see Server.Client and Server.DialTo.
	TLS bool
	// Now is the clock for token expiry, suspension and rate-limit windows.
	// Default time.Now.
	Now func() time.Time
	// Addr is the listen address. Default "127.0.0.1:0".
	Addr string
	// RateLimit is the primary limit per user and hour (§3.6: 5,000 for
	// personal access and OAuth tokens). Default 5,000; in Enterprise mode
	// default none. Unauthenticated requests have 60 an hour.
	RateLimit int
	// LimitStatus is the status of the primary-limit answer: 403
	// (default) or 429 (§3.6: "403 or 429").
	LimitStatus int
	// SecondaryRetryAfter is the retry-after of FaultSecondaryLimit.
	// Default 60 s.
	SecondaryRetryAfter time.Duration
	// SlowDelay is how long FaultSlow waits. Default 10 s (GitHub's own
	// server-side timeout, §3.6).
	SlowDelay time.Duration
}

// Request is what the fake recorded about one request.
type Request struct {
	Method string
	// Host is the Host header (the API host the client meant).
	Host string
	// Path is the URL path as received, prefix included.
	Path     string
	RawQuery string
	// Endpoint is the route ("GET /user", "GET /repos/{owner}/{repo}", …),
	// or "" for an unknown path.
	Endpoint string
	// Repository is "owner/name" for GET /repos requests, as asked.
	Repository string
	// Header is a copy of the request headers.
	Header http.Header
	// TokenHash is the sha256 hex of the token after the Authorization
	// scheme, or "".
	TokenHash string
}

// Endpoints the fake serves.
const (
	EndpointUser       = "GET /user"
	EndpointOrgs       = "GET /user/orgs"
	EndpointTeams      = "GET /user/teams"
	EndpointRepo       = "GET /repos/{owner}/{repo}"
	EndpointRepository = "GET /repositories/{id}"
	EndpointRateLimit  = "GET /rate_limit"
)

// Server is a running fake GitHub. All methods are safe for concurrent use.
type Server struct {
	// URL is the server's base URL ("http://127.0.0.1:PORT"). In
	// Enterprise mode it is also the provider's base_url; APIURL is where
	// the API lives.
	URL string

	opts    Options
	prefix  string
	srv     *httptest.Server
	closing chan struct{}
	once    sync.Once

	mu        sync.Mutex
	nextID    int64
	tokenSeq  int
	users     map[int64]*User
	logins    map[string]int64
	orgs      map[string]*org
	teams     []*team
	repos     map[string]*repo
	redirects map[string]int64
	tokens    map[string]*tokenRec
	buckets   map[string]*bucket
	faults    map[string]Fault
	log       fakeupstream.Log[Request]
}

// New starts a fake on loopback and closes it when tb's test ends.
func New(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s, err := Start(opts)
	if err != nil {
		tb.Fatalf("ghtest: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Start starts a fake; the caller must Close it.
func Start(opts Options) (*Server, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.RateLimit == 0 && !opts.Enterprise {
		opts.RateLimit = 5000
	}
	if opts.LimitStatus == 0 {
		opts.LimitStatus = http.StatusForbidden
	}
	if opts.SecondaryRetryAfter <= 0 {
		opts.SecondaryRetryAfter = time.Minute
	}
	if opts.SlowDelay <= 0 {
		opts.SlowDelay = 10 * time.Second
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("ghtest: listen: %w", err)
	}
	s := &Server{
		opts:      opts,
		closing:   make(chan struct{}),
		users:     map[int64]*User{},
		logins:    map[string]int64{},
		orgs:      map[string]*org{},
		repos:     map[string]*repo{},
		redirects: map[string]int64{},
		tokens:    map[string]*tokenRec{},
		buckets:   map[string]*bucket{},
		faults:    map[string]Fault{},
		nextID:    1000,
	}
	if opts.Enterprise {
		s.prefix = "/api/v3"
	}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	s.srv.Listener = ln
	if opts.TLS {
		s.srv.StartTLS()
	} else {
		s.srv.Start()
	}
	s.URL = s.srv.URL
	return s, nil
}

// Close stops the server; afterwards its URL refuses connections.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.closing)
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
}

// APIURL is the API root: URL, plus /api/v3 in Enterprise mode.
func (s *Server) APIURL() string { return s.URL + s.prefix }

// DialTo returns an HTTP client that sends every connection, whatever
// host it names, to the fake, trusting the fake's TLS certificate for
// that host, and records each host:port it was asked to dial. With it a
// provider configured for https://github.com (API https://api.github.com)
// talks to the fake in TLS mode.
func (s *Server) DialTo(dialed func(hostport string)) *http.Client {
	pool := x509.NewCertPool()
	if c := s.srv.Certificate(); c != nil {
		pool.AddCert(c)
	}
	addr := s.srv.Listener.Addr().String()
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, hostport string) (net.Conn, error) {
			if dialed != nil {
				dialed(hostport)
			}
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
		TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "example.com"},
	}
	return &http.Client{Transport: tr}
}

// Count returns how many requests reached endpoint (one of the Endpoint
// constants); "" counts every request.
func (s *Server) Count(endpoint string) int {
	return s.log.Count(func(r Request) bool { return endpoint == "" || r.Endpoint == endpoint })
}

// CountRepo returns how many GET /repos requests asked for repository
// ("owner/name", compared case-insensitively).
func (s *Server) CountRepo(repository string) int {
	return s.log.Count(func(r Request) bool { return r.Endpoint == EndpointRepo && strings.EqualFold(r.Repository, repository) })
}

// CountToken returns how many requests carried exactly tok.
func (s *Server) CountToken(tok string) int {
	h := tokenHash(tok)
	return s.log.Count(func(r Request) bool { return r.TokenHash == h })
}

// Requests returns a copy of the recorded requests, oldest first.
func (s *Server) Requests() []Request {
	return s.log.All()
}

// ResetCounts forgets the recorded requests.
func (s *Server) ResetCounts() {
	s.log.Reset()
}

// ClosedURL returns an http URL on loopback on which nothing listens.
func ClosedURL() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("ghtest: listen: %w", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		return "", fmt.Errorf("ghtest: close: %w", err)
	}
	return "http://" + addr, nil
}
