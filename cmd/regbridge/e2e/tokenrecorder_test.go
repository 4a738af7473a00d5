package e2e

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
)

// tokenRequest is what a client sent to the token endpoint, without any
// secret: which grant it used and under which client_id.
type tokenRequest struct {
	Method    string
	GrantType string // "" for GET
	ClientID  string
	Basic     bool // an Authorization: Basic header
	// Offline: the request asked for a refresh token (offline_token=true
	// on GET, access_type=offline on POST).
	Offline bool
}

// String is the form used in the client matrix: "POST refresh_token
// (client_id=regclient)".
func (r tokenRequest) String() string {
	s := r.Method
	if r.GrantType != "" {
		s += " " + r.GrantType
	}
	if r.Basic {
		s += " with Basic"
	}
	if r.Offline {
		s += " offline"
	}
	return s + " (client_id=" + r.ClientID + ")"
}

// tokenRecorder is a loopback reverse proxy in front of a bridge's /token
// that records each request's shape before passing it on unchanged.
type tokenRecorder struct {
	mu   sync.Mutex
	reqs []tokenRequest
}

// recordTokens starts a recorder in front of b and returns a copy of b
// whose Realm is the recorder's (start registries with it), and the
// recorder. It is closed when the test ends.
func recordTokens(t *testing.T, b *Bridge) (*Bridge, *tokenRecorder) {
	t.Helper()
	target, err := url.Parse("http://127.0.0.1:" + itoa(b.Port))
	if err != nil {
		t.Fatal(err)
	}
	rec := &tokenRecorder{}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.record(r)
		r.Host = target.Host
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	port := srv.Listener.Addr().String()[strings.LastIndex(srv.Listener.Addr().String(), ":")+1:]
	rb := *b
	rb.Realm = "http://localhost:" + port + "/token"
	return &rb, rec
}

// record notes r's shape; a POST body is read and put back.
func (rec *tokenRecorder) record(r *http.Request) {
	q := r.URL.Query()
	tr := tokenRequest{Method: r.Method, ClientID: q.Get("client_id"), Offline: q.Get("offline_token") == "true"}
	_, _, tr.Basic = r.BasicAuth()
	if r.Method == http.MethodPost {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		tr.GrantType, tr.ClientID = form.Get("grant_type"), form.Get("client_id")
		tr.Offline = form.Get("access_type") == "offline"
	}
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, tr)
	rec.mu.Unlock()
}

// mark is the number of requests recorded so far.
func (rec *tokenRecorder) mark() int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return len(rec.reqs)
}

// since returns the distinct request shapes recorded after mark m, sorted.
func (rec *tokenRecorder) since(m int) []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	seen := map[string]bool{}
	var out []string
	for _, r := range rec.reqs[m:] {
		if s := r.String(); !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// grantsSince returns the distinct grant types recorded after mark m, GET
// requests as "GET".
func (rec *tokenRecorder) grantsSince(m int) map[string]bool {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	out := map[string]bool{}
	for _, r := range rec.reqs[m:] {
		g := r.GrantType
		if r.Method == http.MethodGet {
			g = "GET"
		}
		out[g] = true
	}
	return out
}
