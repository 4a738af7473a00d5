package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/regbridge/regbridge/bridge"
	"github.com/regbridge/regbridge/providers"
)

// runtime is a running server with what it needs to reload.
type runtime struct {
	// cfg is the configuration the server started with, as the file says.
	cfg *Config
	// listen overrides cfg.Listen (the --listen flag).
	listen   string
	env      map[string]string
	log      *slog.Logger
	deps     providers.Deps
	srv      *bridge.Server
	replay   *replayBackend
	keySets  *providers.KeySetCache
	obs      *observability
	watch    *watcher
	quick    bool
	reloadCh chan string
}

// newRuntime builds the server for cfg; now is the clock of the cache and
// the providers.
func newRuntime(cfg *Config, env map[string]string, log *slog.Logger, now func() time.Time) (_ *runtime, err error) {
	rt := &runtime{cfg: cfg, env: env, log: log, quick: cfg.file == "", reloadCh: make(chan string, 1)}
	if rt.replay, err = newReplayBackend(cfg.State, now, log); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			rt.replay.close()
		}
	}()
	rt.keySets = providers.NewKeySetCache()
	rt.deps = providers.Deps{Logger: log, Now: now, Replay: rt.replay.store, KeySets: rt.keySets,
		KeyStateDir: cfg.StateDir, MaxStaleKeys: cfg.MaxStaleKeys}
	st, b, err := rt.buildState(cfg, nil)
	if err != nil {
		return nil, err
	}
	rt.keySets.Prune()
	if rt.obs, err = newObservability(cfg, log); err != nil {
		return nil, err
	}
	rt.obs.watchKeySets(cfg, rt.keySets, now)
	abuse, err := newAbuseControl(cfg, rt.replay, now, rt.obs)
	if err != nil {
		return nil, err
	}
	rt.srv = bridge.NewServer(st, bridge.Options{
		PublicURL: cfg.PublicURL,
		TokenPath: cfg.TokenPath,
		Limits:    cfg.Limits,
		Logger:    log,
		Now:       now,
		Observer:  rt.obs.observer(),
		Extra:     rt.obs.handlers(),
		Reuse:     cfg.TokenReuse,
		Tracer:    rt.obs.tracer(),
		Discovery: cfg.Discovery,
		AuditKey:  rt.obs.auditKey,
		Abuse:     abuse,
		// Refresh tokens: idle times and revocations.
		RefreshStore: rt.replay.refresh,
		ReadyDetail: rt.obs.readyDetail(map[string]func(context.Context) any{
			"state":       func(ctx context.Context) any { return rt.replay.readyDetail(ctx) },
			"rate_limits": abuse.ReadyDetail,
		}),
		CommitAudit: rt.obs.commitAudit(),
	})
	rt.obs.attach(rt.srv)
	rt.obs.mount("/admin/refresh/revoke", bridge.RevocationHandler(rt.replay.refresh, now, log))
	if !rt.quick {
		rt.watch = newWatcher(cfg.file, b.policyFile(), b.providerFiles()...)
	}
	return rt, nil
}

// buildState builds a state from cfg through prepare, the loader check
// uses too. The credential cache is kept when given, else a new one is
// made.
func (rt *runtime) buildState(cfg *Config, cache *bridge.CredentialCache) (*bridge.State, *built, error) {
	return prepare(cfg, rt.deps, cache)
}

// run listens, serves until ctx ends or SIGTERM/SIGINT arrives, reloading
// on SIGHUP and file changes meanwhile, and then drains.
func (rt *runtime) run(ctx context.Context) error {
	listen := rt.cfg.listenAddr()
	if rt.listen != "" {
		listen = rt.listen
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer rt.replay.close()
	rt.replay.checkAtStart(ctx, rt.log)
	hs, err := rt.httpServer()
	if err != nil {
		ln.Close()
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	errc := make(chan error, 2)
	go func() {
		if hs.TLSConfig != nil {
			errc <- hs.ServeTLS(ln, "", "")
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	if err := rt.obs.start(errc); err != nil {
		return err
	}
	sweepCtx, stopSweep := context.WithCancel(ctx)
	swept := make(chan struct{})
	go func() {
		defer close(swept)
		rt.srv.SweepCache(sweepCtx)
	}()
	defer func() { stopSweep(); <-swept }()
	rt.log.Info("regbridge serving", "addr", ln.Addr().String(), "token_path", rt.cfg.tokenPath(), "version", buildVersion())
	return rt.loop(ctx, hs, errc, hup)
}

// httpServer is the token listener's server, with TLS when configured.
func (rt *runtime) httpServer() (*http.Server, error) {
	hs := bridge.NewHTTPServer(rt.srv, slog.NewLogLogger(rt.log.Handler(), slog.LevelWarn))
	if rt.cfg.TLS.Certificate != "" {
		tc, err := tlsConfig(rt.cfg.TLS)
		if err != nil {
			return nil, err
		}
		hs.TLSConfig = tc
	}
	return hs, nil
}
