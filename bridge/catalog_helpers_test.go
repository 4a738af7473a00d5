package bridge

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

// fakeRegistry serves distribution's paged catalog of names and records
// every Authorization header it receives.
type fakeRegistry struct {
	srv   *httptest.Server
	mu    sync.Mutex
	names []string
	auth  []string
	calls atomic.Int64
	down  atomic.Bool
	// link, when set, replaces the Link header of the first page.
	link string
}

func newFakeRegistry(t testing.TB, names ...string) *fakeRegistry {
	t.Helper()
	f := &fakeRegistry{names: slices.Clone(names)}
	slices.SortFunc(f.names, comparePath)
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeRegistry) serve(w http.ResponseWriter, r *http.Request) {
	f.calls.Add(1)
	f.mu.Lock()
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	names := f.names
	f.mu.Unlock()
	if f.down.Load() {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	if r.URL.Path != "/v2/_catalog" || r.Header.Get("Authorization") == "" {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	q, err := ParseCatalogQuery(r.URL.RawQuery)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	page, more := catalogPage(names, q)
	if more {
		w.Header().Set("Link", catalogLink(r.URL.Path, q.N, page[len(page)-1]))
	}
	if f.link != "" && q.Last == "" {
		w.Header().Set("Link", f.link)
	}
	json.NewEncoder(w).Encode(catalogResponse{Repositories: page})
}

func (f *fakeRegistry) authHeaders() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.auth)
}

// catalogRepos is the registry's content in the catalog tests; the test
// policy gives anonymous callers public/**, alice public/** and alice/**.
var catalogRepos = []string{"alice/a", "alice/b", "alice-x/c", "bob/x", "public/p1", "public/p2", "team/x", "zz/hidden"}

// catalogEnv is a test server whose one service fronts a fake registry.
func catalogEnv(t testing.TB, names ...string) (*testEnv, *fakeRegistry) {
	t.Helper()
	reg := newFakeRegistry(t, names...)
	env := newTestEnv(t, testPolicy, Service{Name: "registry.test", Issuer: "regbridge-test", RegistryURL: reg.srv.URL})
	return env, reg
}

// call performs GET path with an optional Authorization header value.
func (e *testEnv) call(t testing.TB, path, authorization string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	if authorization != "" {
		r.Header.Set("Authorization", authorization)
	}
	w := httptest.NewRecorder()
	e.srv.ServeHTTP(w, r)
	return w
}

func basic(user, pass string) string {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.SetBasicAuth(user, pass)
	return r.Header.Get("Authorization")
}

func repositories(t testing.TB, w *httptest.ResponseRecorder) []string {
	t.Helper()
	if w.Code != http.StatusOK {
		t.Fatalf("status %d, body %s", w.Code, w.Body)
	}
	var body catalogResponse
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if body.Repositories == nil {
		t.Fatalf("repositories is null, want an array: %s", w.Body)
	}
	return body.Repositories
}

func catalogURL(n int, last string) string {
	u := "/v2/_catalog?n=" + strconv.Itoa(n)
	if last != "" {
		u += "&last=" + last
	}
	return u
}

// fakeTokenResponse turns a token string into a 200 recorder for
// decodeToken.
type fakeTokenResponse struct{ body string }

func (f *fakeTokenResponse) recorder() *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	w.WriteHeader(http.StatusOK)
	w.Body.WriteString(f.body)
	return w
}

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }
