package bridge

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regbridge/regbridge/bridge/signing"
)

func TestEachCallerSeesExactlyTheRepositoriesThePolicyLetsItPull(t *testing.T) {
	env, _ := catalogEnv(t, catalogRepos...)
	cases := []struct {
		name, auth string
		want       []string
	}{
		{"anonymous", "", []string{"public/p1", "public/p2"}},
		{"alice", basic("alice", "alice-pw"), []string{"alice/a", "alice/b", "public/p1", "public/p2"}},
		{"bob", basic("bob", "bob-pw"), []string{"public/p1", "public/p2"}},
		{"admin, granted the registry's catalog, still sees only what it may pull", basic("admin", "admin-pw"), []string{"public/p1", "public/p2"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := repositories(t, env.call(t, "/v2/_catalog", c.auth))
			if !slices.Equal(got, c.want) {
				t.Fatalf("catalog = %v, want %v", got, c.want)
			}
		})
	}
}

func TestABadCredentialIsRefusedAndNeverGetsTheAnonymousView(t *testing.T) {
	env, reg := catalogEnv(t, catalogRepos...)
	for _, auth := range []string{basic("alice", "wrong"), basic("nobody", "x"), "Bearer not-a-token", "Basic !!!"} {
		for _, path := range []string{"/v2/_catalog", "/v1/search?q=p"} {
			w := env.call(t, path, auth)
			if w.Code != http.StatusUnauthorized && w.Code != http.StatusBadRequest {
				t.Fatalf("%s with %q: status %d, want 401 or 400; body %s", path, auth, w.Code, w.Body)
			}
			if strings.Contains(w.Body.String(), "public/") {
				t.Fatalf("%s with %q leaked the anonymous view: %s", path, auth, w.Body)
			}
			if w.Code == http.StatusUnauthorized && !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), `Bearer realm="http://localhost:5001/token",service="registry.test",scope="registry:catalog:`) {
				t.Fatalf("challenge %q", w.Header().Get("WWW-Authenticate"))
			}
		}
	}
	if reg.calls.Load() != 0 {
		t.Fatalf("the registry was read %d times for refused credentials; the credential is checked first", reg.calls.Load())
	}
}

func TestTheInternalCatalogTokenNeverLeavesRegbridge(t *testing.T) {
	env, reg := catalogEnv(t, catalogRepos...)
	var bodies []string
	for _, auth := range []string{"", basic("alice", "alice-pw"), basic("alice", "bad")} {
		for _, path := range []string{"/v2/_catalog?n=1", "/v1/search?q=a", "/v2/_catalog?n=x"} {
			w := env.call(t, path, auth)
			bodies = append(bodies, w.Body.String())
			for k, v := range w.Header() {
				bodies = append(bodies, k+": "+strings.Join(v, ","))
			}
		}
	}
	bodies = append(bodies, env.logBuf.String())
	seen := reg.authHeaders()
	if len(seen) == 0 {
		t.Fatal("the registry was never read")
	}
	for _, h := range seen {
		tok := strings.TrimPrefix(h, "Bearer ")
		if tok == h {
			t.Fatalf("the registry got %q, want a Bearer token", h)
		}
		_, c := verifyRegistryToken(t, env, tok)
		if c.Subject != catalogSubject || granted(c) != "registry:catalog:*" || c.Expiry-c.IssuedAt != int64(catalogTokenTTL/time.Second) {
			t.Fatalf("internal token: sub %q, access %q, life %ds", c.Subject, granted(c), c.Expiry-c.IssuedAt)
		}
		for _, b := range bodies {
			if strings.Contains(b, tok) || strings.Contains(b, tok[strings.LastIndexByte(tok, '.')+1:]) {
				t.Fatalf("the internal token appears in a response or the log: %.200s", b)
			}
		}
		// Presented back, it is refused: it was never handed to a caller.
		if w := env.call(t, "/v2/_catalog", h); w.Code != http.StatusUnauthorized ||
			!strings.Contains(w.Header().Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Fatalf("the internal token presented by a caller: status %d, challenge %q", w.Code, w.Header().Get("WWW-Authenticate"))
		}
	}
}

func verifyRegistryToken(t *testing.T, env *testEnv, tok string) (map[string]any, signing.Claims) {
	t.Helper()
	w := &fakeTokenResponse{body: `{"token":"` + tok + `","access_token":"` + tok + `"}`}
	_, c, raw := decodeToken(t, w.recorder(), env.key)
	return raw, c
}

func TestAResponseNeverDependsOnRepositoriesTheCallerMayNotPull(t *testing.T) {
	// The same caller against a registry holding every name and against one
	// holding only the names it may pull: every page, Link, count and error
	// must be byte-identical, for every n and every last (hidden, visible,
	// absent).
	visible := map[string][]string{
		"":                         {"public/p1", "public/p2"},
		basic("alice", "alice-pw"): {"alice/a", "alice/b", "public/p1", "public/p2"},
	}
	lasts := append(slices.Clone(catalogRepos), "", "a", "alice", "public/p0", "team", "zzz", "public/p1/x")
	full, _ := catalogEnv(t, catalogRepos...)
	for auth, names := range visible {
		only, _ := catalogEnv(t, names...)
		for _, n := range []int{0, 1, 2, 3, 100, 1000, 1001, -1} {
			for _, last := range lasts {
				path := catalogURL(n, last)
				a, b := full.call(t, path, auth), only.call(t, path, auth)
				if a.Code != b.Code || a.Body.String() != b.Body.String() || a.Header().Get("Link") != b.Header().Get("Link") {
					t.Fatalf("%s as %q differs:\n full: %d %s %s\n only: %d %s %s", path, auth,
						a.Code, a.Header().Get("Link"), a.Body, b.Code, b.Header().Get("Link"), b.Body)
				}
			}
		}
		for _, q := range []string{"", "p", "alice", "x", "hidden", "team/x", "a&n=1&page=2"} {
			path := "/v1/search?q=" + q
			a, b := full.call(t, path, auth), only.call(t, path, auth)
			if a.Code != b.Code || a.Body.String() != b.Body.String() {
				t.Fatalf("%s as %q differs:\n full: %s\n only: %s", path, auth, a.Body, b.Body)
			}
		}
	}
}

func TestPagingWithN1WalksTheFilteredListWithoutGapsOrRepeats(t *testing.T) {
	env, _ := catalogEnv(t, catalogRepos...)
	auth := basic("alice", "alice-pw")
	var walked []string
	next := "/v2/_catalog?n=1"
	for i := 0; next != ""; i++ {
		if i > 10 {
			t.Fatal("the Link chain does not end")
		}
		w := env.call(t, next, auth)
		walked = append(walked, repositories(t, w)...)
		next = ""
		if link := w.Header().Get("Link"); link != "" {
			target, _, _ := strings.Cut(link, ">")
			next = strings.TrimPrefix(target, "<")
			if !strings.HasSuffix(link, `>; rel="next"`) || !strings.HasPrefix(next, "/v2/_catalog?last=") {
				t.Fatalf("Link %q is not distribution's", link)
			}
		}
	}
	want := []string{"alice/a", "alice/b", "public/p1", "public/p2"}
	if !slices.Equal(walked, want) {
		t.Fatalf("walked %v, want %v", walked, want)
	}
}

func TestPagesFollowDistributionsOrderAndLinkRules(t *testing.T) {
	names := []string{"a/b", "a-b", "a", "b"}
	slices.SortFunc(names, comparePath)
	if !slices.Equal(names, []string{"a", "a/b", "a-b", "b"}) {
		t.Fatalf("order %v: distribution sorts the separator first", names)
	}
	cases := []struct {
		name string
		q    CatalogQuery
		want []string
		more bool
	}{
		{"n=0 is an empty page without a link", CatalogQuery{N: 0}, []string{}, false},
		{"a full page links, like distribution", CatalogQuery{N: 4}, names, true},
		{"a short page does not", CatalogQuery{N: 5}, names, false},
		{"last is exclusive", CatalogQuery{N: 2, Last: "a/b"}, []string{"a-b", "b"}, true},
		{"an absent last starts after its place", CatalogQuery{N: 9, Last: "a/a"}, []string{"a/b", "a-b", "b"}, false},
		{"a last past the end is empty", CatalogQuery{N: 9, Last: "c"}, []string{}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, more := catalogPage(names, c.q)
			if !slices.Equal(got, c.want) || more != c.more || got == nil {
				t.Fatalf("page %v more %v, want %v %v", got, more, c.want, c.more)
			}
		})
	}
	if got := catalogLink("/v2/_catalog", 2, "a/b"); got != `</v2/_catalog?last=a%2Fb&n=2>; rel="next"` {
		t.Fatalf("link %s", got)
	}
}

func TestACatalogTokenFromTheRealmShowsTheViewOfTheCallerItWasMintedFor(t *testing.T) {
	env, _ := catalogEnv(t, catalogRepos...)
	cases := []struct {
		name, user, pass, scope string
		want                    []string
	}{
		{"alice", "alice", "alice-pw", "registry:catalog:*", []string{"alice/a", "alice/b", "public/p1", "public/p2"}},
		{"anonymous", "", "", "registry:catalog:*", []string{"public/p1", "public/p2"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body, _, _ := decodeToken(t, env.get(t, "service=registry.test&scope="+c.scope, c.user, c.pass), env.key)
			got := repositories(t, env.call(t, "/v2/_catalog", "Bearer "+body.Token))
			if !slices.Equal(got, c.want) {
				t.Fatalf("catalog = %v, want %v", got, c.want)
			}
		})
	}
	t.Run("a token minted for a repository scope is refused with invalid_token", func(t *testing.T) {
		body, _, _ := decodeToken(t, env.get(t, "service=registry.test&scope=repository:alice/a:pull", "alice", "alice-pw"), env.key)
		w := env.call(t, "/v2/_catalog", "Bearer "+body.Token)
		if w.Code != http.StatusUnauthorized || !strings.Contains(w.Header().Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Fatalf("status %d, challenge %q", w.Code, w.Header().Get("WWW-Authenticate"))
		}
	})
}

func TestACatalogTokenStopsWorkingWhenItExpires(t *testing.T) {
	reg := newFakeRegistry(t, catalogRepos...)
	env := newTestEnv(t, testPolicy, Service{Name: "registry.test", Issuer: "regbridge-test", RegistryURL: reg.srv.URL})
	body, _, _ := decodeToken(t, env.get(t, "service=registry.test&scope=registry:catalog:*", "alice", "alice-pw"), env.key)
	clock := testNow
	env.srv.catalogTokens.now = func() time.Time { return clock }
	if w := env.call(t, "/v2/_catalog", "Bearer "+body.Token); w.Code != http.StatusOK {
		t.Fatalf("fresh token: %d", w.Code)
	}
	clock = testNow.Add(time.Duration(body.ExpiresIn) * time.Second)
	if w := env.call(t, "/v2/_catalog", "Bearer "+body.Token); w.Code != http.StatusUnauthorized {
		t.Fatalf("expired token: %d %s", w.Code, w.Body)
	}
}

func TestARegistryThatIsDownAnswers503AndIsNotCached(t *testing.T) {
	env, reg := catalogEnv(t, catalogRepos...)
	reg.down.Store(true)
	for _, path := range []string{"/v2/_catalog", "/v1/search?q=a"} {
		w := env.call(t, path, basic("alice", "alice-pw"))
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
			t.Fatalf("%s: status %d, Retry-After %q", path, w.Code, w.Header().Get("Retry-After"))
		}
	}
	reg.down.Store(false)
	if got := repositories(t, env.call(t, "/v2/_catalog", "")); len(got) != 2 {
		t.Fatalf("after recovery: %v", got)
	}
}

func TestTheRegistryCatalogIsReadOnceWhileFreshAndAgainAfterItsTTL(t *testing.T) {
	env, reg := catalogEnv(t, catalogRepos...)
	clock := testNow
	var mu sync.Mutex
	env.srv.catalog.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			env.call(t, "/v2/_catalog", "")
		}()
	}
	wg.Wait()
	if n := reg.calls.Load(); n != 1 {
		t.Fatalf("registry read %d times for 8 concurrent callers, want 1", n)
	}
	mu.Lock()
	clock = clock.Add(env.srv.catalog.cfg.TTL)
	mu.Unlock()
	env.call(t, "/v2/_catalog", "")
	if n := reg.calls.Load(); n != 2 {
		t.Fatalf("registry read %d times after the TTL, want 2", n)
	}
}

func TestARegistryCatalogLargerThanTheBoundFailsRatherThanBeingCut(t *testing.T) {
	reg := newFakeRegistry(t, catalogRepos...)
	env := newTestEnv(t, testPolicy, Service{Name: "registry.test", Issuer: "regbridge-test", RegistryURL: reg.srv.URL})
	env.srv.catalog.cfg.MaxNames = len(catalogRepos) - 1
	if w := env.call(t, "/v2/_catalog", ""); w.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d %s", w.Code, w.Body)
	}
}

func TestTheInternalTokenIsNeverSentWhereARegistryLinkPoints(t *testing.T) {
	for _, link := range []string{`<http://127.0.0.2:1/v2/_catalog?last=a&n=1>; rel="next"`, `</other?last=a>; rel="next"`, `garbage`} {
		env, reg := catalogEnv(t, catalogRepos...)
		reg.link = link
		if w := env.call(t, "/v2/_catalog", ""); w.Code != http.StatusServiceUnavailable {
			t.Fatalf("Link %s: status %d", link, w.Code)
		}
		if n := reg.calls.Load(); n != 1 {
			t.Fatalf("Link %s: %d registry calls", link, n)
		}
	}
}

func TestSearchAnswersInDockersShapeOverTheFilteredList(t *testing.T) {
	env, _ := catalogEnv(t, catalogRepos...)
	w := env.call(t, "/v1/search?q=A&n=1&page=2", basic("alice", "alice-pw"))
	if w.Code != http.StatusOK {
		t.Fatalf("status %d %s", w.Code, w.Body)
	}
	var raw map[string]any
	json.Unmarshal(w.Body.Bytes(), &raw)
	for _, k := range []string{"num_pages", "num_results", "page", "page_size", "query", "results"} {
		if _, ok := raw[k]; !ok {
			t.Fatalf("no %s in %s", k, w.Body)
		}
	}
	var got searchResponse
	json.Unmarshal(w.Body.Bytes(), &got)
	want := searchResponse{NumPages: 2, NumResults: 2, Page: 2, PageSize: 1, Query: "A", Results: []searchResult{{Name: "alice/b"}}}
	if got.NumPages != want.NumPages || got.NumResults != want.NumResults || got.Page != want.Page ||
		got.PageSize != want.PageSize || got.Query != want.Query || !slices.Equal(got.Results, want.Results) {
		t.Fatalf("search = %+v, want %+v", got, want)
	}
	if !strings.Contains(w.Body.String(), `"star_count":0,"is_official":false,"is_automated":false`) {
		t.Fatalf("result fields: %s", w.Body)
	}
	w = env.call(t, "/v1/search?q=a&page=99999999999", "")
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != http.StatusOK || len(got.Results) != 0 || got.Results == nil {
		t.Fatalf("a page past the end: %d %s", w.Code, w.Body)
	}
}

func TestAServiceWithoutARegistryURLServesNoCatalog(t *testing.T) {
	env := newTestEnv(t, testPolicy)
	if w := env.call(t, "/v2/_catalog", ""); w.Code != http.StatusNotFound {
		t.Fatalf("status %d", w.Code)
	}
	env, _ = catalogEnv(t, catalogRepos...)
	r := env.call(t, "/v2/_catalog", "")
	if r.Code != http.StatusOK {
		t.Fatalf("status %d", r.Code)
	}
	req, _ := http.NewRequest(http.MethodGet, "/v2/_catalog", nil)
	req.Header.Set(ServiceHeader, "other.test")
	w := newRecorder()
	env.srv.ServeHTTP(w, req)
	if w.Code != http.StatusNotFound {
		t.Fatalf("unknown service header: %d", w.Code)
	}
}
