package bridge

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/static"
)

// costServer is a server whose static provider holds one user, "known",
// with a bcrypt hash of the given cost.
func costServer(tb testing.TB, cost int) *Server {
	tb.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte("the-right-password"), cost)
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(tb.TempDir(), "htpasswd")
	if err := os.WriteFile(path, []byte("known:"+string(hash)+"\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	p, err := static.New("users", static.Config{Htpasswd: path}, providers.Deps{})
	if err != nil {
		tb.Fatal(err)
	}
	return benchServer(tb, 10, ReuseConfig{}, p)
}

// login sends one Basic login and returns how long the handler took; it
// must be refused.
func login(tb testing.TB, srv *Server, user, pass string) time.Duration {
	tb.Helper()
	w := httptest.NewRecorder()
	r := benchRequest(benchQuery, user, pass)
	start := time.Now()
	srv.ServeHTTP(w, r)
	d := time.Since(start)
	if w.Code != http.StatusUnauthorized {
		tb.Fatalf("%s: status %d, want 401", user, w.Code)
	}
	return d
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func TestAnUnknownUsernameCostsTheSamePasswordCheckAsAKnownOneThroughTheRouter(t *testing.T) {
	srv := costServer(t, 8)
	const n = 15
	var unknown, known []time.Duration
	for i := range n {
		// Every password differs, so the negative cache never answers.
		unknown = append(unknown, login(t, srv, fmt.Sprintf("nobody-%d", i), fmt.Sprintf("guess-u-%d", i)))
		known = append(known, login(t, srv, "known", fmt.Sprintf("guess-k-%d", i)))
	}
	mu, mk := median(unknown), median(known)
	t.Logf("median latency: unknown user %s, known user with a wrong password %s", mu, mk)
	if mu*3 < mk || mk*3 < mu {
		t.Errorf("an unknown username costs %s and a known one %s: the difference tells which names exist", mu, mk)
	}
}

// BenchmarkBasicLoginUnknownVersusKnownUser shows, side by side, the time a
// refused Basic login takes for a name that is not an account and for an
// account with a wrong password, at bcrypt's default cost.
func BenchmarkBasicLoginUnknownVersusKnownUser(b *testing.B) {
	srv := costServer(b, bcrypt.DefaultCost)
	// One sequence for every run, so that no password repeats and the
	// negative cache never answers.
	seq := 0
	for _, tc := range []struct{ name, user string }{{"unknown user", "nobody"}, {"known user wrong password", "known"}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				seq++
				login(b, srv, tc.user, fmt.Sprintf("guess-%d", seq))
			}
		})
	}
}
