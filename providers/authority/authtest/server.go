package authtest

import (
	"crypto"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Endpoint paths of the fake server.
const (
	PathDiscovery  = "/.well-known/openid-configuration"
	PathJWKS       = "/jwks"
	PathIntrospect = "/introspect"
)

// Fault replaces the answer of one endpoint.
type Fault struct {
	Status int
	Body   string
	Delay  time.Duration
}

// Server is a fake authorization server on loopback.
type Server struct {
	*httptest.Server
	// Issuer is the server URL with a trailing slash (as Hydra sends it).
	Issuer string
	// ClientID and ClientSecret authenticate introspection callers
	// (client_secret_basic). ClientKey, when set, is the public key of a
	// private_key_jwt caller with the same ClientID.
	ClientID     string
	ClientSecret string
	ClientKey    crypto.PublicKey
	// Now is the clock for minting and for introspection (default time.Now).
	Now func() time.Time

	mu      sync.Mutex
	keys    []signingKey
	tokens  map[string]map[string]any
	revoked map[string]bool
	faults  map[string]Fault
	counts  map[string]*atomic.Int64
}

type signingKey struct {
	signer crypto.Signer
	alg    string
	kid    string
}

// NewServer starts a server with one RS256 key and a confidential client
// ("bridge"/"bridge-secret"). It is closed when t ends.
func NewServer(t testing.TB) *Server {
	t.Helper()
	s := &Server{ClientID: "bridge", ClientSecret: "bridge-secret", Now: time.Now,
		tokens: map[string]map[string]any{}, revoked: map[string]bool{}, faults: map[string]Fault{},
		counts: map[string]*atomic.Int64{}}
	for _, p := range []string{PathDiscovery, PathJWKS, PathIntrospect} {
		s.counts[p] = new(atomic.Int64)
	}
	if _, err := s.Rotate("RS256"); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc(PathDiscovery, s.wrap(PathDiscovery, s.discovery))
	mux.HandleFunc(PathJWKS, s.wrap(PathJWKS, s.jwks))
	mux.HandleFunc(PathIntrospect, s.wrap(PathIntrospect, s.introspect))
	s.Server = httptest.NewServer(mux)
	s.Issuer = s.URL + "/"
	t.Cleanup(s.Close)
	return s
}

// Rotate adds a fresh signing key for alg and makes it the active one; the
// old keys stay published. It returns the new kid.
func (s *Server) Rotate(alg string) (string, error) {
	k, err := GenerateKey(alg)
	if err != nil {
		return "", err
	}
	kid := randomString(8)
	s.mu.Lock()
	s.keys = append([]signingKey{{signer: k, alg: alg, kid: kid}}, s.keys...)
	s.mu.Unlock()
	return kid, nil
}

// SetFault makes path answer with f until cleared with a zero Fault.
func (s *Server) SetFault(path string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f == (Fault{}) {
		delete(s.faults, path)
		return
	}
	s.faults[path] = f
}

// Count returns how many requests path has received.
func (s *Server) Count(path string) int { return int(s.counts[path].Load()) }

// Revoke makes introspection call token inactive.
func (s *Server) Revoke(token string) {
	s.mu.Lock()
	s.revoked[token] = true
	s.mu.Unlock()
}

func (s *Server) wrap(path string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.counts[path].Add(1)
		s.mu.Lock()
		f, ok := s.faults[path]
		s.mu.Unlock()
		if ok {
			time.Sleep(f.Delay)
			if f.Status != 0 {
				w.WriteHeader(f.Status)
				_, _ = w.Write([]byte(f.Body))
				return
			}
		}
		h(w, r)
	}
}

func (s *Server) discovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, map[string]any{
		"issuer": s.Issuer, "jwks_uri": s.URL + PathJWKS, "introspection_endpoint": s.URL + PathIntrospect,
		"token_endpoint": s.URL + "/token", "dpop_signing_alg_values_supported": []string{"ES256", "EdDSA", "RS256", "PS256"},
		"tls_client_certificate_bound_access_tokens": true,
	})
}

func (s *Server) jwks(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []any
	for _, k := range s.keys {
		m := PublicJWK(k.signer.Public())
		m["kid"], m["alg"], m["use"] = k.kid, k.alg, "sig"
		keys = append(keys, m)
	}
	writeJSON(w, map[string]any{"keys": keys})
}

func (s *Server) introspect(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
		return
	}
	if !s.clientAuthenticated(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="introspect"`)
		http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
		return
	}
	token := r.PostForm.Get("token")
	s.mu.Lock()
	claims, ok := s.tokens[token]
	revoked := s.revoked[token]
	s.mu.Unlock()
	if !ok || revoked {
		writeJSON(w, map[string]any{"active": false})
		return
	}
	if exp, ok := claims["exp"].(int64); ok && s.Now().Unix() >= exp {
		writeJSON(w, map[string]any{"active": false})
		return
	}
	out := map[string]any{"active": true, "token_type": "Bearer"}
	for k, v := range claims {
		out[k] = v
	}
	if _, bound := claims["cnf"].(map[string]any)["jkt"]; bound {
		out["token_type"] = "DPoP"
	}
	writeJSON(w, out)
}

// clientAuthenticated accepts client_secret_basic with the configured
// secret or a private_key_jwt assertion signed by ClientKey.
func (s *Server) clientAuthenticated(r *http.Request) bool {
	if id, secret, ok := r.BasicAuth(); ok {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
		return id == s.ClientID && secret == s.ClientSecret
	}
	if s.ClientKey == nil || r.PostForm.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
		return false
	}
	jws, err := jose.ParseSignedCompact(r.PostForm.Get("client_assertion"),
		[]jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA})
	if err != nil {
		return false
	}
	payload, err := jws.Verify(s.ClientKey)
	if err != nil {
		return false
	}
	var c struct {
		Iss, Sub string
		Aud      any
		Exp      int64
	}
	if json.Unmarshal(payload, &c) != nil {
		return false
	}
	return c.Iss == s.ClientID && c.Sub == s.ClientID && c.Aud == s.URL+PathIntrospect && c.Exp > s.Now().Unix()
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return strings.TrimRight(base64.RawURLEncoding.EncodeToString(b), "=")
}
