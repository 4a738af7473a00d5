package forgeapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
)

func newTestClient(t *testing.T, h http.HandlerFunc) (*Client, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := New(Options{BaseURL: srv.URL + "/api/v1", Timeout: 2 * time.Second, MaxBody: 1024})
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

func TestTheTokenTravelsThroughTheOAuth2TransportAsBearer(t *testing.T) {
	var got string
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("Authorization") + " " + r.URL.Path
		w.Write([]byte(`{}`))
	})
	if _, err := c.Get(context.Background(), Auth{Token: "tok"}, "/user", nil); err != nil {
		t.Fatal(err)
	}
	if want := "Bearer tok /api/v1/user"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestAForgeTokenIsNeverSentToAnotherHostByAPaginationLink(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
	}))
	defer other.Close()
	links := []string{
		other.URL + "/api/v1/user/teams?page=2",
		"//" + strings.TrimPrefix(other.URL, "http://") + "/api/v1/user/teams?page=2",
		"/elsewhere/user/teams?page=2",
	}
	for _, link := range links {
		c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Link", "<"+link+`>; rel="next"`)
			w.Write([]byte(`[]`))
		})
		err := c.Pages(context.Background(), Auth{Token: "tok"}, "/user/teams", nil, 5, func(*Response) error { return nil })
		if !errors.Is(err, providers.ErrUnavailable) {
			t.Errorf("link %q: err = %v, want ErrUnavailable", link, err)
		}
	}
	if n := elsewhere.Load(); n != 0 {
		t.Fatalf("the other host got %d requests", n)
	}
}

func TestPagesFollowsNextLinksWithinTheBaseAndStopsAtTheCap(t *testing.T) {
	var calls atomic.Int32
	c, srv := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Link", `<`+"http://"+r.Host+`/api/v1/x?page=`+r.URL.Query().Get("page")+`1>; rel="next", <http://`+r.Host+`/api/v1/x?page=9>; rel="last"`)
		w.Write([]byte(`[]`))
	})
	_ = srv
	pages := 0
	err := c.Pages(context.Background(), Auth{Token: "t"}, "/x", nil, 3, func(*Response) error { pages++; return nil })
	if err == nil || pages != 3 || calls.Load() != 3 {
		t.Fatalf("pages=%d calls=%d err=%v; want 3, 3 and an error", pages, calls.Load(), err)
	}
}

func TestRedirectsAndOversizedAnswersAreUnavailableNotFollowed(t *testing.T) {
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/moved" {
			http.Redirect(w, r, "/api/v1/big", http.StatusMovedPermanently)
			return
		}
		w.Write([]byte(strings.Repeat("x", 2048)))
	})
	for _, p := range []string{"/moved", "/big"} {
		_, err := c.Get(context.Background(), Auth{Token: "t"}, p, nil)
		if !errors.Is(err, providers.ErrUnavailable) {
			t.Errorf("%s: err = %v, want ErrUnavailable", p, err)
		}
	}
}

func TestRetryAfterReadsEveryForgeHint(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	tests := []struct {
		name string
		h    http.Header
		want time.Duration
	}{
		{"Retry-After seconds", http.Header{"Retry-After": {"30"}}, 30 * time.Second},
		{"GitHub reset epoch", http.Header{"X-Ratelimit-Reset": {"1800000042"}}, 42 * time.Second},
		{"GitLab RateLimit-Reset epoch", http.Header{"Ratelimit-Reset": {"1800000010"}}, 10 * time.Second},
		{"no hint", http.Header{}, DefaultRetryAfter},
		{"a huge hint is capped", http.Header{"Retry-After": {"999999"}}, MaxRetryAfter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RetryAfter(tt.h, now); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestLookalikeRepositoryNamesAreNotTheSame(t *testing.T) {
	for _, tt := range []struct {
		asked, answered string
		want            bool
	}{
		{"acme/app", "acme/app", true},
		{"acme/app", "ACME/App", true},
		{"acme/app", "acme/app.", false},
		{"acme/app", "acme/apр", false}, // Cyrillic er
		{"acme/app", "acme/app/x", false},
		{"acme/k", "acme/\u212a", false}, // Kelvin sign
		{"", "", false},
	} {
		if got := SameRepository(tt.asked, tt.answered); got != tt.want {
			t.Errorf("SameRepository(%q, %q) = %v, want %v", tt.asked, tt.answered, got, tt.want)
		}
	}
	for _, bad := range []string{"acme", "acme/..", "acme/.app", "acme/app.", "ACME/app", "acme//app", "acme/a%2fb"} {
		if ValidRepository(bad, 2) {
			t.Errorf("ValidRepository(%q) = true", bad)
		}
	}
}

func FuzzNextLink(f *testing.F) {
	f.Add(`<https://x/api/v1/a?page=2>; rel="next", <https://x/api/v1/a?page=5>; rel="last"`)
	f.Add(`<a,b>; rel=next`)
	f.Fuzz(func(t *testing.T, v string) {
		next := NextLink(http.Header{"Link": {v}})
		if next != "" && !strings.Contains(v, next) {
			t.Fatalf("NextLink(%q) = %q, not part of the header", v, next)
		}
	})
}

func TestAnEscapedSlashInAPathReachesTheForgeEscapedOnce(t *testing.T) {
	var got string
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.EscapedPath()
		w.Write([]byte(`{}`))
	})
	if _, err := c.Get(context.Background(), Auth{Token: "tok"}, "/projects/"+url.PathEscape("acme/sub/app"), nil); err != nil {
		t.Fatal(err)
	}
	if want := "/api/v1/projects/acme%2Fsub%2Fapp"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
