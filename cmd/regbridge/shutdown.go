package main

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// Shutdown defaults.
const (
	// defaultDrain is how long a SIGTERM-ed server keeps serving with
	// /readyz at 503 before it closes connections. Kubernetes removes a
	// terminating pod from its endpoints asynchronously (usually within a
	// second or two); 5 s covers that and stays well inside the default
	// terminationGracePeriodSeconds of 30 s.
	defaultDrain = 5 * time.Second
	// maxDrain bounds the setting.
	maxDrain = 10 * time.Minute
	// inFlightWait bounds the wait for requests still running after the
	// drain.
	inFlightWait = 30 * time.Second
)

// ShutdownConfig sets what happens on SIGTERM.
type ShutdownConfig struct {
	// Drain is how long the server keeps serving after SIGTERM, with
	// /readyz answering 503 and every response carrying `Connection:
	// close`, before idle connections are closed and in-flight requests
	// are waited for. Default 5s; "0s" skips the drain.
	Drain *time.Duration `yaml:"drain"`
}

func (c ShutdownConfig) drain() time.Duration {
	if c.Drain == nil {
		return defaultDrain
	}
	return *c.Drain
}

func (c ShutdownConfig) validate() error {
	if d := c.drain(); d < 0 || d > maxDrain {
		return fmt.Errorf("shutdown.drain: %s is out of range (0 to %s)", d, maxDrain)
	}
	return nil
}

// shutdown drains and stops hs: readiness off and `Connection: close` at
// once, serving on for the drain period, then no more keep-alives, idle
// connections closed and in-flight requests waited for.
func (rt *runtime) shutdown(hs *http.Server) error {
	drain := rt.cfg.Shutdown.drain()
	rt.srv.StartDrain()
	rt.log.Info("shutting down: readiness is off; serving on while load balancers drain", "drain", drain.String())
	if drain > 0 {
		time.Sleep(drain)
	}
	hs.SetKeepAlivesEnabled(false)
	rt.log.Info("shutting down: waiting for in-flight requests")
	ctx, cancel := context.WithTimeout(context.Background(), inFlightWait)
	defer cancel()
	rt.obs.shutdown(ctx)
	return hs.Shutdown(ctx)
}
