package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"

	"github.com/regbridge/regbridge/bridge"
)

// observability holds the audit log and the metrics of a running server.
type observability struct {
	audit     *bridge.AuditLog
	auditFile io.Closer
	log       *slog.Logger
	admin     *http.Server
	adminMux  *http.ServeMux
}

func newObservability(cfg *Config, log *slog.Logger) (*observability, error) {
	o := &observability{log: log}
	switch cfg.Observe.Audit {
	case "":
	case "stdout":
		o.audit = bridge.NewAuditLog(os.Stdout)
	case "stderr":
		o.audit = bridge.NewAuditLog(os.Stderr)
	default:
		f, err := os.OpenFile(cfg.Observe.Audit, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return nil, fmt.Errorf("observability.audit: %w", err)
		}
		o.audit, o.auditFile = bridge.NewAuditLog(f), f
	}
	return o, nil
}

func (o *observability) observer() bridge.Observer {
	var obs bridge.Observers
	if o.audit != nil {
		obs = append(obs, o.audit)
	}
	if len(obs) == 0 {
		return nil
	}
	return obs
}

// handlers are mounted on the main listener.
func (o *observability) handlers() map[string]http.Handler { return nil }

// start starts the admin listener, if any.
func (o *observability) start(chan<- error) error { return nil }

// reloaded counts a reload attempt.
func (o *observability) reloaded(bool) {}

func (o *observability) shutdown(ctx context.Context) {
	if o.admin != nil {
		o.admin.Shutdown(ctx)
	}
	if o.auditFile != nil {
		o.auditFile.Close()
	}
}
