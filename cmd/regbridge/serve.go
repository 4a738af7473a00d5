package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/regbridge/regbridge/bridge"
	"github.com/regbridge/regbridge/providers"
)

func serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "run the token server (with no --config: the quick-start)",
		Flags: []cli.Flag{
			configFlag,
			&cli.StringFlag{Name: "listen", Usage: "listen address (overrides the config; quick-start default 127.0.0.1:5001, env REGBRIDGE_LISTEN)"},
			&cli.StringFlag{Name: "data-dir", Value: "./regbridge-data", Usage: "quick-start: where the key and certificate are created"},
			&cli.StringFlag{Name: "public-url", Usage: "quick-start: the URL clients reach this server at (default http://localhost:PORT; env REGBRIDGE_PUBLIC_URL)"},
			&cli.StringFlag{Name: "service", Value: "registry.local", Usage: "quick-start: the registry's auth.token.service"},
		},
		Action: runServe,
	}
}

func newLogger(w io.Writer, cfg LogConfig) *slog.Logger {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(cfg.Level)); err != nil || cfg.Level == "" {
		lvl = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func runServe(c *cli.Context) error {
	env := environ()
	path := c.String("config")
	var cfg *Config
	var err error
	if path == "" {
		cfg, err = quickStartConfig(c, env, c.App.Writer)
	} else {
		cfg, err = loadConfig(path, env)
	}
	if err != nil {
		return err
	}
	log := newLogger(c.App.ErrWriter, cfg.Log)
	applyGC(env, log)
	rt, err := newRuntime(cfg, env, log, time.Now)
	if err != nil {
		return err
	}
	rt.listen = c.String("listen")
	return rt.run(c.Context)
}

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
func newRuntime(cfg *Config, env map[string]string, log *slog.Logger, now func() time.Time) (*runtime, error) {
	rt := &runtime{cfg: cfg, env: env, log: log, quick: cfg.file == "", reloadCh: make(chan string, 1)}
	replay, err := newReplayBackend(cfg.State, now, log)
	if err != nil {
		return nil, err
	}
	rt.replay = replay
	rt.keySets = providers.NewKeySetCache()
	rt.deps = providers.Deps{Logger: log, Now: now, Replay: replay.store, KeySets: rt.keySets}
	st, b, err := rt.buildState(cfg, nil)
	if err != nil {
		replay.close()
		return nil, err
	}
	rt.keySets.Prune()
	rt.obs, err = newObservability(cfg, log)
	if err != nil {
		replay.close()
		return nil, err
	}
	abuse, err := newAbuseControl(cfg, replay, now, rt.obs)
	if err != nil {
		replay.close()
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

func (rt *runtime) run(ctx context.Context) error {
	listen := rt.cfg.Listen
	if rt.listen != "" {
		listen = rt.listen
	}
	if listen == "" {
		listen = ":5001"
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer rt.replay.close()
	rt.replay.checkAtStart(ctx, rt.log)
	hs := &http.Server{
		Handler:           rt.srv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(rt.log.Handler(), slog.LevelWarn),
	}
	if rt.cfg.TLS.Certificate != "" {
		tc, err := tlsConfig(rt.cfg.TLS)
		if err != nil {
			return err
		}
		hs.TLSConfig = tc
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
	tick := make(<-chan time.Time)
	if rt.watch != nil && rt.cfg.watchEnabled() {
		t := time.NewTicker(rt.cfg.reloadInterval())
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return rt.shutdown(hs)
		case err := <-errc:
			if errors.Is(err, http.ErrServerClosed) {
				return nil
			}
			return err
		case <-hup:
			rt.obs.reopenAudit()
			rt.reload("SIGHUP")
		case <-tick:
			if changed := rt.watch.changed(); changed != "" {
				rt.reload("change of " + changed)
			}
		}
	}
}

// reload rebuilds the configuration and policy and swaps them in. A file
// that fails to load, lint or test is refused and the last good state stays.
func (rt *runtime) reload(why string) {
	if rt.quick {
		rt.log.Info("quick-start has no files to reload", "trigger", why)
		return
	}
	cfg, err := loadConfig(rt.cfg.file, rt.env)
	if err != nil {
		rt.obs.reloaded(false)
		rt.srv.RefuseReload(why, err)
		return
	}
	var cache *bridge.CredentialCache
	if rt.watch.inputsUnchanged() {
		cache = rt.srv.State().Cache()
	}
	st, b, err := rt.buildState(cfg, cache)
	if err != nil {
		rt.obs.reloaded(false)
		rt.srv.RefuseReload(why, err)
		return
	}
	rt.watch.accept(b.policyFile(), b.providerFiles())
	rt.srv.Swap(st, why)
	rt.keySets.Prune() // the key sets of removed providers are let go
	rt.obs.reloaded(true)
	restart := restartRequired(rt.cfg, cfg)
	if len(restart) > 0 {
		rt.log.Warn("changed settings take effect only at the next restart; the running server keeps their old values",
			"trigger", why, "restart_required", restart)
	}
	rt.log.Info("configuration reloaded", "trigger", why, "policy", b.policyFile(), "restart_required", restart)
}

func tlsConfig(c TLSConfig) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(c.Certificate, c.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if c.ClientCA != "" {
		raw, err := os.ReadFile(c.ClientCA)
		if err != nil {
			return nil, fmt.Errorf("tls: client_ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(raw) {
			return nil, fmt.Errorf("tls: client_ca %s holds no PEM certificate", c.ClientCA)
		}
		tc.ClientCAs = pool
		tc.ClientAuth = tls.VerifyClientCertIfGiven
	}
	return tc, nil
}

func (c *Config) tokenPath() string {
	if c.TokenPath == "" {
		return "/token"
	}
	return c.TokenPath
}

func (c *Config) watchEnabled() bool { return c.Reload.Watch == nil || *c.Reload.Watch }

func (c *Config) reloadInterval() time.Duration {
	if c.Reload.Interval > 0 {
		return c.Reload.Interval
	}
	return defaultReloadInterval
}

// realm is the token URL for the registry stanza.
func (c *Config) realm() string {
	base := strings.TrimRight(c.PublicURL, "/")
	if base == "" {
		base = "http://localhost" + portOf(c.Listen)
	}
	return base + c.tokenPath()
}

func portOf(listen string) string {
	if listen == "" {
		return ":5001"
	}
	if _, port, err := net.SplitHostPort(listen); err == nil {
		return ":" + port
	}
	return ""
}
