package bridge

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	crand "crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"io"
	"log/slog"
	"math/big"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/regbridge/regbridge/acl"
	"github.com/regbridge/regbridge/bridge/signing"
	"github.com/regbridge/regbridge/providers"
)

// testPolicy grants anonymous pull on public/**, and alice push on alice/**.
const testPolicy = `version: 1
rules:
  - id: public-pull
    who: anyone
    grant:
      - {repository: "public/**", actions: [pull]}
  - id: alice-own
    who: [users]
    when: {username: alice}
    grant:
      - {repository: "alice/**", actions: [pull, push]}
  - id: admin-catalog
    who: [users]
    when: {username: admin}
    grant:
      - {registry: catalog, actions: ["*"]}
`

var testNow = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// fakeProvider answers from a password table and counts calls.
type fakeProvider struct {
	mu       sync.Mutex
	users    map[string]string
	calls    atomic.Int64
	err      error
	delay    time.Duration
	expiry   time.Time
	lastCred providers.Credential
}

func (f *fakeProvider) Authenticate(_ context.Context, cred providers.Credential) (providers.Identity, error) {
	f.calls.Add(1)
	if f.delay > 0 {
		time.Sleep(f.delay)
	}
	f.mu.Lock()
	f.lastCred = cred
	f.mu.Unlock()
	if f.err != nil {
		return providers.Identity{}, f.err
	}
	if pw, ok := f.users[cred.Username]; !ok || pw != cred.Secret.Reveal() {
		return providers.Identity{}, providers.ErrInvalidCredential
	}
	return providers.Identity{Subject: cred.Username, Username: cred.Username, Expiry: f.expiry}, nil
}

func (f *fakeProvider) Route() providers.Route {
	return providers.Route{Users: func(n string) bool { _, ok := f.users[n]; return ok }}
}

// seqReader is a deterministic random source for golden tests.
type seqReader struct{ r *rand.ChaCha8 }

func newSeqReader() io.Reader {
	return &seqReader{r: rand.NewChaCha8([32]byte{1, 2, 3})}
}

func (s *seqReader) Read(p []byte) (int, error) { return s.r.Read(p) }

func testKey(t testing.TB) *signing.Key {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), newSeqReader())
	if err != nil {
		t.Fatal(err)
	}
	return certifiedKey(t, priv)
}

// certifiedKey wraps priv with a fixed self-signed certificate.
func certifiedKey(t testing.TB, priv *ecdsa.PrivateKey) *signing.Key {
	t.Helper()
	cert, err := selfSigned(priv)
	if err != nil {
		t.Fatal(err)
	}
	k, err := signing.NewKey(priv, cert, "")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

type testEnv struct {
	srv    *Server
	prov   *fakeProvider
	key    *signing.Key
	logBuf *bytes.Buffer
	events *eventLog
}

type eventLog struct {
	mu sync.Mutex
	ev []Event
}

func (e *eventLog) Observe(ev Event) {
	e.mu.Lock()
	e.ev = append(e.ev, ev)
	e.mu.Unlock()
}

func newTestEnv(t testing.TB, policy string, svcs ...Service) *testEnv {
	t.Helper()
	if len(svcs) == 0 {
		svcs = []Service{{Name: "registry.test", Issuer: "regbridge-test"}}
	}
	pol, err := acl.Parse([]byte(policy), "policy.yaml", acl.Options{Providers: map[string]providers.PolicyFacts{"users": {Type: "static"}}})
	if err != nil {
		t.Fatal(err)
	}
	prov := &fakeProvider{users: map[string]string{"alice": "alice-pw", "bob": "bob-pw", "admin": "admin-pw"}}
	key := testKey(t)
	st, err := NewState(StateConfig{
		Services:  svcs,
		Keys:      []*signing.Key{key},
		Providers: []*Registered{{ID: "users", Provider: prov}},
		Policy:    pol,
		Cache:     NewCredentialCache(CacheConfig{}.WithDefaults(), func() time.Time { return testNow }),
	})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	events := &eventLog{}
	srv := NewServer(st, Options{
		PublicURL: "http://localhost:5001",
		Logger:    slog.New(slog.NewJSONHandler(&syncWriter{w: &buf}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:       func() time.Time { return testNow },
		Observer:  events,
	})
	return &testEnv{srv: srv, prov: prov, key: key, logBuf: &buf, events: events}
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// get performs GET /token?query with optional Basic credentials.
func (e *testEnv) get(t testing.TB, query string, user, pass string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/token?"+query, nil)
	if user != "" || pass != "" {
		r.SetBasicAuth(user, pass)
	}
	w := httptest.NewRecorder()
	e.srv.ServeHTTP(w, r)
	return w
}

func (e *testEnv) post(t testing.TB, path string, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	e.srv.ServeHTTP(w, r)
	return w
}

type tokenBody struct {
	Token       string `json:"token"`
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
	IssuedAt    string `json:"issued_at"`
	Scope       string `json:"scope"`
}

// decodeToken checks a 200 response and verifies the token with key.
func decodeToken(t testing.TB, w *httptest.ResponseRecorder, key *signing.Key) (tokenBody, signing.Claims, map[string]any) {
	t.Helper()
	if w.Code != http.StatusOK {
		t.Fatalf("status %d, body %s", w.Code, w.Body)
	}
	var body tokenBody
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if body.Token != body.AccessToken {
		t.Fatalf("token and access_token differ")
	}
	jws, err := jose.ParseSignedCompact(body.Token, []jose.SignatureAlgorithm{jose.ES256, jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	payload, err := jws.Verify(key.Signer.Public())
	if err != nil {
		t.Fatalf("signature does not verify: %v", err)
	}
	var c signing.Claims
	if err := json.Unmarshal(payload, &c); err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	json.Unmarshal(payload, &raw)
	return body, c, raw
}

func granted(c signing.Claims) string {
	var parts []string
	for _, a := range c.Access {
		parts = append(parts, a.Type+":"+a.Name+":"+strings.Join(a.Actions, ","))
	}
	return strings.Join(parts, " ")
}

// selfSigned makes a fixed self-signed certificate for signer.
func selfSigned(signer crypto.Signer) (*x509.Certificate, error) {
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "regbridge-test"},
		NotBefore:             time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(crand.Reader, tmpl, tmpl, signer.Public(), signer)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

func httptestGet(h http.Handler, path string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
	return w
}

func contains(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
