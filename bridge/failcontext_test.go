package bridge

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

type ctxKey struct{}

// ctxHandler records the context value ctxKey of every record it handles.
type ctxHandler struct {
	mu   sync.Mutex
	seen []any
}

func (h *ctxHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *ctxHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "token request refused" {
		h.mu.Lock()
		h.seen = append(h.seen, ctx.Value(ctxKey{}))
		h.mu.Unlock()
	}
	return nil
}
func (h *ctxHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *ctxHandler) WithGroup(string) slog.Handler      { return h }

func TestARefusedTokenRequestIsLoggedWithTheRequestsContext(t *testing.T) {
	e := newTestEnv(t, testPolicy)
	h := &ctxHandler{}
	srv := NewServer(e.srv.State(), Options{Logger: slog.New(h), Now: func() time.Time { return testNow }})
	req := httptest.NewRequest(http.MethodGet, "/token?service=registry.test&scope=repository:x:pull", nil)
	req.SetBasicAuth("alice", "wrong")
	req = req.WithContext(context.WithValue(req.Context(), ctxKey{}, "request-42"))
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, req)
	if w.Code != http.StatusUnauthorized {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if len(h.seen) != 1 || h.seen[0] != "request-42" {
		t.Fatalf("refusal logged with context values %v, want the request's", h.seen)
	}
}
