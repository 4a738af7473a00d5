package bridge

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"io"
	"log"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/regbridge/regbridge/bridge/signing"
	"github.com/regbridge/regbridge/providers"
)

// Options configure a Server.
type Options struct {
	// PublicURL is the external base URL of this server (for DPoP htu and
	// the printed registry stanza), without a trailing slash.
	PublicURL string
	// TokenPath is the realm path (default DefaultTokenPath).
	TokenPath string
	// ExchangePath is the RFC 8693 endpoint (default "/oauth2/token").
	ExchangePath string
	// Realm names the Basic challenge on 401 (default "regbridge").
	Realm  string
	Limits Limits
	Logger *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Random is the source of request ids. When nil they come from the
	// runtime's ChaCha8 generator (math/rand/v2), seeded by the OS: request
	// ids must be unique, not secret, and this costs no system call or
	// allocation beyond the id itself.
	Random io.Reader
	// Observer receives one event per token request (may be nil).
	Observer Observer
	// Extra handlers mounted on the mux (for example "/metrics").
	Extra map[string]http.Handler
	// ReadyDetail adds members to the /readyz body (for example the shared
	// state backend). They inform; they do not change readiness.
	ReadyDetail map[string]func(context.Context) any
	// Reuse hands a recently minted token out again (off by default).
	Reuse ReuseConfig
	// Tracer opens OpenTelemetry spans; nil turns tracing off at no cost.
	Tracer trace.Tracer
	// Discovery, when it names services, is served at DiscoveryPath with
	// PublicURL+TokenPath as the token endpoint.
	Discovery Discovery
	// AuditKey keys the credential_hash of events (HMAC-SHA256). Replicas
	// given one key write one hash for one credential; when empty, a random
	// key is drawn per process, so hashes correlate within one process only.
	AuditKey providers.Secret
	// Catalog bounds the registry reads behind /v2/_catalog and /v1/search.
	Catalog CatalogConfig
	// Abuse applies rate limits and the provider concurrency bound (nil: none).
	Abuse *AbuseControl
	// RefreshStore keeps refresh-token idle times and revocations; nil
	// issues no refresh tokens.
	RefreshStore RefreshStore
	// CommitAudit, when set, writes an issued token's audit record before
	// the token is sent; when it fails the answer is 503 (audit_failure:
	// fail_closed, see AuditLog.Commit).
	CommitAudit func(Event) error
}

// Server is the token service's HTTP handler.
type Server struct {
	opts  Options
	state atomic.Pointer[State]
	mux   *http.ServeMux
	log   *slog.Logger

	auditKey   []byte
	credHash   *credentialHasher
	mu         sync.Mutex
	lastReload ReloadStatus
	reuse      *reuseCache
	draining   atomic.Bool

	catalog       *registryCatalog
	catalogTokens *catalogTokens
	// tokenURL is PublicURL + TokenPath, the URL of most requests that
	// carry a credential, built once.
	tokenURL string
}

// ReloadStatus reports the last reload attempt, for /readyz.
type ReloadStatus struct {
	Time    time.Time `json:"time"`
	OK      bool      `json:"ok"`
	Error   string    `json:"error,omitempty"`
	Source  string    `json:"source,omitempty"`
	Refused uint64    `json:"refused_total"`
}

// DefaultTokenPath is the realm path when Options.TokenPath is empty.
const DefaultTokenPath = "/token"

// NewServer returns a Server serving st.
func NewServer(st *State, opts Options) *Server {
	if opts.TokenPath == "" {
		opts.TokenPath = DefaultTokenPath
	}
	if opts.ExchangePath == "" {
		opts.ExchangePath = "/oauth2/token"
	}
	if opts.Realm == "" {
		opts.Realm = "regbridge"
	}
	opts.PublicURL = strings.TrimRight(opts.PublicURL, "/")
	opts.Limits = opts.Limits.WithDefaults()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{opts: opts, log: opts.Logger, lastReload: ReloadStatus{Time: opts.Now(), OK: true, Source: "start"}}
	s.auditKey = []byte(opts.AuditKey.Reveal())
	if len(s.auditKey) == 0 {
		s.auditKey = make([]byte, 32)
		// crypto/rand.Read never returns an error (Go 1.24).
		rand.Read(s.auditKey)
	}
	s.credHash = newCredentialHasher(s.auditKey)
	s.tokenURL = opts.PublicURL + opts.TokenPath
	s.reuse = newReuseCache(opts.Reuse)
	s.catalog = newRegistryCatalog(opts.Catalog, opts.Now)
	s.catalogTokens = newCatalogTokens(DefaultCatalogTokens, opts.Now)
	s.state.Store(st)
	mux := http.NewServeMux()
	mux.HandleFunc(opts.TokenPath, s.serveToken)
	mux.HandleFunc(opts.ExchangePath, s.serveExchange)
	mux.HandleFunc("/.well-known/jwks.json", s.serveJWKS)
	mux.HandleFunc("/healthz", s.serveHealth)
	mux.HandleFunc("/readyz", s.serveReady)
	if len(opts.Discovery.Services) > 0 {
		mux.HandleFunc(DiscoveryPath, discoveryHandler(opts.Discovery, opts.PublicURL+opts.TokenPath))
	}
	mux.HandleFunc(CatalogPath, s.serveCatalog)
	mux.HandleFunc(WhoamiPath, s.serveWhoami)
	mux.HandleFunc(SearchPath, s.serveSearch)
	for p, h := range opts.Extra {
		mux.Handle(p, h)
	}
	mux.HandleFunc("/", http.NotFound)
	s.mux = mux
	return s
}

// NewHTTPServer is the http.Server of the token listener around h, with
// regbridge's timeouts and header limit: a request's headers must arrive
// within 10 s and the whole request within 30 s, its answer must be written
// within 30 s, an idle keep-alive connection is closed after 120 s, and
// headers are capped at 64 KiB. errorLog receives net/http's own errors
// (nil: the standard logger).
func NewHTTPServer(h http.Handler, errorLog *log.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          errorLog,
	}
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.drainHeader(w)
	s.mux.ServeHTTP(w, r)
}

// State returns the active state.
func (s *Server) State() *State { return s.state.Load() }

// Swap makes st the active state for every request that starts after it.
func (s *Server) Swap(st *State, source string) {
	s.state.Store(st)
	s.mu.Lock()
	s.lastReload = ReloadStatus{Time: s.opts.Now(), OK: true, Source: source, Refused: s.lastReload.Refused}
	s.mu.Unlock()
}

// RefuseReload records a reload that failed; the active state stays.
func (s *Server) RefuseReload(source string, err error) {
	s.mu.Lock()
	s.lastReload = ReloadStatus{Time: s.opts.Now(), OK: false, Error: err.Error(), Source: source, Refused: s.lastReload.Refused + 1}
	s.mu.Unlock()
	s.log.Error("reload refused; the last good configuration stays active", "source", source, "err", err)
}

// LastReload returns the last reload status.
func (s *Server) LastReload() ReloadStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastReload
}

func (s *Server) requestID() string {
	var b [8]byte
	if s.opts.Random == nil {
		binary.LittleEndian.PutUint64(b[:], mrand.Uint64())
	} else if _, err := io.ReadFull(s.opts.Random, b[:]); err != nil {
		return "unknown"
	}
	var out [16]byte
	hex.Encode(out[:], b[:])
	return string(out[:])
}

func (s *Server) serveJWKS(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "max-age=300")
	writeJSON(w, http.StatusOK, signing.JWKS(s.State().keys))
}

func (s *Server) serveHealth(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	st := s.State()
	ready := st != nil && len(st.keys) > 0 && st.policy != nil && st.router != nil
	body := map[string]any{"ready": ready, "last_reload": s.LastReload()}
	if ready {
		body["keys"], body["services"] = len(st.keys), len(st.services)
		body["providers"], body["policy"] = len(st.router.all), st.policy.Source()
	}
	for name, detail := range s.opts.ReadyDetail {
		body[name] = detail(r.Context())
	}
	if s.Draining() {
		ready = false
		body["ready"], body["draining"] = false, true
	}
	status := http.StatusOK
	if !ready {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, body)
}
