package state

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultClientLogInterval is the least time between two log lines from the
// Redis client library.
const DefaultClientLogInterval = time.Minute

// clientLog routes the go-redis client's own messages (a failed dial, a
// bad pooled connection) into slog, at most one line per interval; the
// messages in between are counted in the next line. Without it the library
// writes unstructured lines to stderr, one per failed command during an
// outage.
type clientLog struct {
	log      *slog.Logger
	now      func() time.Time
	interval time.Duration

	mu       sync.Mutex
	last     time.Time
	unlogged uint64
}

// Printf implements go-redis's internal.Logging.
func (l *clientLog) Printf(_ context.Context, format string, v ...any) {
	now := l.now()
	l.mu.Lock()
	if !l.last.IsZero() && now.Sub(l.last) < l.interval {
		l.unlogged++
		l.mu.Unlock()
		return
	}
	skipped := l.unlogged
	l.last, l.unlogged = now, 0
	l.mu.Unlock()
	msg := strings.TrimPrefix(fmt.Sprintf(format, v...), "redis: ")
	l.log.Warn("redis client", "detail", msg, "not_logged_since_last_line", skipped)
}

// routeClientLog makes the go-redis library log through opts' logger. The
// library keeps one logger per process, so the last store made sets it.
func routeClientLog(opts Options) {
	l := &clientLog{log: opts.Logger, now: opts.Now, interval: opts.ClientLogInterval}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	if l.now == nil {
		l.now = time.Now
	}
	if l.interval <= 0 {
		l.interval = DefaultClientLogInterval
	}
	redis.SetLogger(l)
}
