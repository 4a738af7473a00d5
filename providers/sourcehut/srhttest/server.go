package srhttest

import (
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// User is an account in the fake's user table.
type User struct {
	// Username is the bare sr.ht username ("jdoe").
	Username string
	// Suspended accounts are refused with 403 and their Notice.
	Suspended bool
	// Notice is the suspension notice shown in the error.
	Notice string
}

// Options configure a fake meta.sr.ht. The zero value is usable: test key,
// user "jdoe", the real clock, 127.0.0.1 on a free port.
type Options struct {
	// PrivateKey is the base64 Ed25519 seed the bearer key is derived from.
	// Default TestPrivateKey.
	PrivateKey string
	// Users is the user table. Nil means a single active user "jdoe"; an
	// empty non-nil slice means no users at all.
	Users []User
	// Now is the clock used for token expiry. Default time.Now.
	Now func() time.Time
	// Addr is the listen address. Default "127.0.0.1:0".
	Addr string
	// SlowDelay is how long FaultSlow waits. Default 10 s.
	SlowDelay time.Duration
	// RedirectTo is the Location of FaultRedirect. Default "/login".
	RedirectTo string
	// HangUpOnMalformedGrants makes an authenticated token whose grants
	// core-go cannot split close the connection without a response (what the
	// 2023 meta does when DecodeGrants panics). Default: a plain 500.
	HangUpOnMalformedGrants bool
	// MintEndpoint serves GET /_fake/mint?username=&grants=&client_id=&ttl=
	// returning a fresh token as text. For trying regbridge by hand only;
	// real meta has no such endpoint.
	MintEndpoint bool
}

// Request is what the fake recorded about one request to a /query path.
type Request struct {
	Method string
	Path   string
	// Header is a copy of the request headers.
	Header http.Header
	// Body is the request body as read (GraphQL POSTs only).
	Body string
	// TokenHash is the sha512 hex of the raw string after the
	// Authorization scheme, or "" without one.
	TokenHash string
}

// Server is a running fake meta.sr.ht. All methods are safe for concurrent
// use.
type Server struct {
	// URL is the base URL ("http://127.0.0.1:PORT"), the meta_url to
	// configure.
	URL string

	opts    Options
	minter  *Minter
	srv     *httptest.Server
	closing chan struct{}
	once    sync.Once

	mu             sync.Mutex
	users          map[string]User
	revokedTokens  map[string]bool
	revokedClients map[string]bool
	lookupFailures bool
	fault          Fault
	requests       []Request
	perToken       map[string]int
}

// New starts a fake on loopback and closes it when tb's test ends. It fails
// the test if the server cannot start.
func New(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s, err := Start(opts)
	if err != nil {
		tb.Fatalf("srhttest: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Start starts a fake; the caller must Close it.
func Start(opts Options) (*Server, error) {
	if opts.PrivateKey == "" {
		opts.PrivateKey = TestPrivateKey
	}
	if opts.Users == nil {
		opts.Users = []User{{Username: "jdoe"}}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.SlowDelay <= 0 {
		opts.SlowDelay = 10 * time.Second
	}
	m, err := NewMinter(opts.PrivateKey)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("srhttest: listen: %w", err)
	}
	s := &Server{
		opts:           opts,
		minter:         m,
		closing:        make(chan struct{}),
		users:          make(map[string]User),
		revokedTokens:  make(map[string]bool),
		revokedClients: make(map[string]bool),
		perToken:       make(map[string]int),
	}
	for _, u := range opts.Users {
		s.users[u.Username] = u
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

// Minter returns the fake's token minter.
func (s *Server) Minter() *Minter { return s.minter }

// Mint returns a canonical token for t, signed with the fake's key.
func (s *Server) Mint(t Token) string { return s.minter.Mint(t) }

// MintBuilds returns a builds.sr.ht job token for username with the
// manifest's grants, expiring ttl after the fake's clock.
func (s *Server) MintBuilds(username, grants string, ttl time.Duration) string {
	return s.minter.Mint(Token{
		Expires:  s.opts.Now().Add(ttl).Unix(),
		Grants:   grants,
		Username: username,
	})
}

// AddUser adds or replaces a user.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.Username] = u
}

// Suspend marks username suspended with notice (adding the user if absent).
func (s *Server) Suspend(username, notice string) {
	s.AddUser(User{Username: username, Suspended: true, Notice: notice})
}

// Revoke revokes a token the way meta does: by the sha512 hex of the exact
// string. A differently encoded string of the same bytes is not revoked.
func (s *Server) Revoke(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revokedTokens[TokenHash(token)] = true
}

// RevokeClient revokes every token of an OAuth client.
func (s *Server) RevokeClient(clientID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revokedClients[clientID] = true
}

// FailLookups makes the user and revocation lookups fail, so valid tokens
// get meta's 500 "Temporary error; try again later".
func (s *Server) FailLookups(fail bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lookupFailures = fail
}

// SetFault makes every following /query request misbehave as f.
func (s *Server) SetFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
}

// Count returns how many requests reached /query paths.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

// CountToken returns how many /query requests carried exactly token (by
// sha512 of the raw string).
func (s *Server) CountToken(token string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.perToken[TokenHash(token)]
}

// Requests returns a copy of the recorded /query requests, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// ResetCounts forgets the recorded requests.
func (s *Server) ResetCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
	s.perToken = make(map[string]int)
}

// TokenHash is meta's revocation key: the sha512 hex of the raw token string.
func TokenHash(token string) string {
	h := sha512.Sum512([]byte(token))
	return hex.EncodeToString(h[:])
}

// ClosedURL returns an http URL on loopback on which nothing listens, for
// connection-refused tests.
func ClosedURL() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("srhttest: listen: %w", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		return "", fmt.Errorf("srhttest: close: %w", err)
	}
	return "http://" + addr, nil
}

func (s *Server) record(r *http.Request, body string) Fault {
	var hash string
	if _, v, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok {
		hash = TokenHash(v)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, Request{
		Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body, TokenHash: hash,
	})
	if hash != "" {
		s.perToken[hash]++
	}
	return s.fault
}
