package gltest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers/internal/fakeupstream"
)

// Options configure a fake GitLab. The zero value is usable: no users, the
// real clock, 127.0.0.1 on a free port, rate limits off (the self-managed
// default).
type Options struct {
	// Now is the clock for token expiry and rate-limit windows.
	Now func() time.Time
	// Addr is the listen address. Default "127.0.0.1:0".
	Addr string
	// RateLimit is the authenticated API limit per minute and user (or IP
	// for unauthenticated requests); 0 turns limits off.
	RateLimit int
	// LegacyRedirects answers a moved project's old path with 200 and the
	// project under its new path, as GitLab before 16.7 did, instead of 301.
	LegacyRedirects bool
	// SlowDelay is how long FaultSlow waits. Default 10 s.
	SlowDelay time.Duration
}

// Request is what the fake recorded about one request.
type Request struct {
	Method string
	// Path is the escaped request path ("/api/v4/projects/a%2Fb").
	Path string
	// Endpoint is the route template ("GET /projects/:id"), or "" for an
	// unknown route.
	Endpoint string
	// Header is a copy of the request headers.
	Header http.Header
	// TokenHash is the sha256 hex of the token the request carried, or "".
	TokenHash string
	// Host is the Host the request was sent to.
	Host string
}

// Endpoint names as recorded in Request.Endpoint and counted by
// CountEndpoint.
const (
	EndpointUser      = "GET /user"
	EndpointTokenSelf = "GET /personal_access_tokens/self"
	EndpointTokenInfo = "GET /oauth/token/info"
	EndpointGroups    = "GET /groups"
	EndpointProject   = "GET /projects/:id"
	EndpointMember    = "GET /projects/:id/members/all/:user_id"
)

// Server is a running fake GitLab. All methods are safe for concurrent use.
type Server struct {
	// URL is the instance's web root ("http://127.0.0.1:PORT"), the
	// base_url to configure; the API is at URL + "/api/v4".
	URL string

	opts    Options
	srv     *httptest.Server
	closing chan struct{}
	once    sync.Once

	mu        sync.Mutex
	users     map[int]*User
	tokens    map[string]*Token
	groups    map[string]*group // lower-case full path
	projects  map[int]*project
	redirects map[string]int // lower-case old path → project id
	nextID    int
	fault     Fault
	rateLimit int
	windows   map[string]*window
	log       fakeupstream.Log[Request]
}

// New starts a fake on loopback and closes it when tb's test ends.
func New(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s, err := Start(opts)
	if err != nil {
		tb.Fatalf("gltest: %v", err)
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
	if opts.SlowDelay <= 0 {
		opts.SlowDelay = 10 * time.Second
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("gltest: listen: %w", err)
	}
	s := &Server{
		opts:      opts,
		closing:   make(chan struct{}),
		users:     map[int]*User{},
		tokens:    map[string]*Token{},
		groups:    map[string]*group{},
		projects:  map[int]*project{},
		redirects: map[string]int{},
		nextID:    1000,
		rateLimit: opts.RateLimit,
		windows:   map[string]*window{},
	}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	s.srv.Listener = ln
	s.srv.Start()
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

// SetFault makes every following request misbehave as f.
func (s *Server) SetFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
}

// SetRateLimit changes the per-minute limit (0 turns it off).
func (s *Server) SetRateLimit(perMinute int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rateLimit = perMinute
}

// Count returns how many requests the fake received.
func (s *Server) Count() int {
	return s.log.Count(nil)
}

// CountToken returns how many requests carried token.
func (s *Server) CountToken(token string) int {
	h := tokenHash(token)
	return s.log.Count(func(r Request) bool { return r.TokenHash == h })
}

// CountEndpoint returns how many requests reached endpoint (EndpointUser,
// ...), whatever their answer.
func (s *Server) CountEndpoint(endpoint string) int {
	return s.log.Count(func(r Request) bool { return r.Endpoint == endpoint })
}

// CountPath returns how many requests had exactly this escaped path.
func (s *Server) CountPath(path string) int {
	return s.log.Count(func(r Request) bool { return r.Path == path })
}

// Requests returns a copy of the recorded requests, oldest first.
func (s *Server) Requests() []Request {
	return s.log.All()
}

// ResetCounts forgets the recorded requests.
func (s *Server) ResetCounts() {
	s.log.Reset()
}

func tokenHash(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

func randomToken(prefix string, n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"
	out := make([]byte, n)
	for i, c := range b {
		out[i] = alphabet[int(c)%len(alphabet)]
	}
	return prefix + string(out)
}

// ClosedURL returns an http URL on loopback on which nothing listens.
func ClosedURL() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("gltest: listen: %w", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		return "", fmt.Errorf("gltest: close: %w", err)
	}
	return "http://" + addr, nil
}
