package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	goruntime "runtime"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/regbridge/regbridge/bridge"
	"github.com/regbridge/regbridge/providers"
)

// observability holds the metrics, the audit log and the tracer of a
// running server.
type observability struct {
	metrics   *bridge.Metrics
	audit     *bridge.AuditLog
	auditFile *bridge.AuditFile
	tracing   *tracing
	log       *slog.Logger
	listen    string
	public    bool
	pprof     bool
	auditKey  providers.Secret
	admin     *http.Server
	adminAddr string
	// adminOnly are handlers served on the admin listener only.
	adminOnly map[string]http.Handler
	refresh   *bridge.RefreshMetrics
	// staleKeys is the stale_keys member of /readyz (nil without state_dir).
	staleKeys func(context.Context) any
}

func newObservability(cfg *Config, log *slog.Logger) (*observability, error) {
	o := &observability{log: log, metrics: bridge.NewMetrics(), listen: cfg.Observe.MetricsListen,
		public: cfg.Observe.MetricsOnTokenListener, pprof: cfg.Observe.Pprof, adminOnly: map[string]http.Handler{}}
	key, err := readAuditKey(cfg.Observe.AuditKeyFile)
	if err != nil {
		return nil, err
	}
	o.auditKey = key
	refresh, err := bridge.NewRefreshMetrics(o.metrics.Registry())
	if err != nil {
		return nil, err
	}
	o.refresh = refresh
	if err := o.openAudit(cfg.Observe); err != nil {
		return nil, err
	}
	tr, err := newTracing(environ(), os.Stderr)
	if err != nil {
		o.closeAudit()
		return nil, err
	}
	o.tracing = tr
	return o, nil
}

// observer is what the server reports every token decision to.
func (o *observability) observer() bridge.Observer {
	obs := bridge.Observers{o.metrics, o.refresh}
	if o.audit != nil {
		obs = append(obs, o.audit)
	}
	return obs
}

// attach makes the metrics read the cache and key gauges from srv.
func (o *observability) attach(srv *bridge.Server) { o.metrics.Track(srv.State) }

// handlers are mounted on the token listener: /metrics only when
// metrics_on_token_listener says so.
func (o *observability) handlers() map[string]http.Handler {
	if !o.public {
		return nil
	}
	return map[string]http.Handler{"/metrics": o.metrics.Handler()}
}

// minAuditKeyBytes is the shortest audit key accepted.
const minAuditKeyBytes = 32

// readAuditKey reads the audit key file; "" means a random key per process.
func readAuditKey(path string) (providers.Secret, error) {
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("observability.audit_key_file: %w", err)
	}
	key := strings.TrimSpace(string(b))
	if len(key) < minAuditKeyBytes {
		return "", fmt.Errorf("observability.audit_key_file %s: the key has %d bytes, want at least %d (e.g. `head -c 32 /dev/urandom | base64`)", path, len(key), minAuditKeyBytes)
	}
	return providers.Secret(key), nil
}

// start starts the admin listener, if any; its failure is sent to errc.
func (o *observability) start(errc chan<- error) error {
	if o.listen == "" {
		return nil
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("observability.metrics_listen: %w", err)
	}
	o.adminAddr = ln.Addr().String()
	mux := http.NewServeMux()
	mux.Handle("/metrics", o.metrics.Handler())
	for p, h := range o.adminOnly {
		mux.Handle(p, h)
	}
	if o.pprof {
		// Sample one mutex contention event in 100 for /debug/pprof/mutex
		// (off otherwise; the cost is a counter per contended unlock).
		goruntime.SetMutexProfileFraction(100)
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	o.admin = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second,
		ErrorLog: slog.NewLogLogger(o.log.Handler(), slog.LevelWarn)}
	go func() {
		if err := o.admin.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("metrics listener: %w", err)
		}
	}()
	o.log.Info("metrics serving", "addr", o.adminAddr, "path", "/metrics")
	return nil
}

// mount serves h at path on the admin listener only; without an admin
// listener it is not served at all.
func (o *observability) mount(path string, h http.Handler) { o.adminOnly[path] = h }

// reloaded counts a reload attempt.
func (o *observability) reloaded(ok bool) { o.metrics.Reloaded(ok) }

func (o *observability) shutdown(ctx context.Context) {
	if o.admin != nil {
		o.admin.Shutdown(ctx)
	}
	if o.tracing != nil {
		if err := o.tracing.shutdown(ctx); err != nil {
			o.log.Warn("flushing traces", "err", err)
		}
	}
	o.closeAudit()
}

func (o *observability) closeAudit() {
	if o.auditFile != nil {
		o.auditFile.Close()
	}
}

// openAudit opens the audit sink cfg names, if any, and exports its
// counters.
func (o *observability) openAudit(cfg ObservabilityConfig) error {
	var w io.Writer
	switch cfg.Audit {
	case "":
		return nil
	case "stdout":
		w = os.Stdout
	case "stderr":
		w = os.Stderr
	default:
		f, err := bridge.OpenAuditFile(cfg.Audit)
		if err != nil {
			return fmt.Errorf("observability.audit: %w", err)
		}
		w, o.auditFile = f, f
	}
	o.audit = bridge.NewAuditLogWith(w, bridge.AuditOptions{OnFailure: cfg.AuditFailure, Logger: o.log})
	o.metrics.Registry().MustRegister(o.audit.Collector())
	return nil
}

// reopenAudit reopens the audit file (after logrotate moved it); stdout,
// stderr and no audit have nothing to reopen.
func (o *observability) reopenAudit() {
	if o.auditFile == nil {
		return
	}
	if err := o.auditFile.Reopen(); err != nil {
		o.log.Error("audit file not reopened; records still go to the old file", "path", o.auditFile.Path(), "err", err)
		return
	}
	o.log.Info("audit file reopened", "path", o.auditFile.Path())
}

// commitAudit is the server's CommitAudit: set when issuance fails closed.
func (o *observability) commitAudit() func(bridge.Event) error {
	if o.audit == nil || !o.audit.FailClosed() {
		return nil
	}
	return o.audit.Commit
}

// readyDetail adds the audit sink's status to the /readyz members in d.
func (o *observability) readyDetail(d map[string]func(context.Context) any) map[string]func(context.Context) any {
	if o.staleKeys != nil {
		d["stale_keys"] = o.staleKeys
	}
	if o.audit != nil {
		d["audit"] = func(context.Context) any { return o.audit.Status() }
	}
	return d
}

// tracer is the request tracer, nil when tracing is off.
func (o *observability) tracer() trace.Tracer {
	if o.tracing == nil {
		return nil
	}
	return o.tracing.tracer
}

// tracing is an OpenTelemetry tracer provider configured from the standard
// OTEL_* environment variables.
type tracing struct {
	provider *sdktrace.TracerProvider
	tracer   trace.Tracer
}

// newTracing reads the standard variables: tracing is off unless
// OTEL_TRACES_EXPORTER is otlp or console, or an OTLP endpoint
// (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set;
// OTEL_SDK_DISABLED=true and OTEL_TRACES_EXPORTER=none turn it off. The
// exporter, sampler (OTEL_TRACES_SAMPLER) and resource
// (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES) read their own variables.
// OTLP is sent over HTTP/protobuf. No connection is made here.
func newTracing(env map[string]string, console io.Writer) (*tracing, error) {
	if strings.EqualFold(env["OTEL_SDK_DISABLED"], "true") {
		return nil, nil
	}
	exporter := strings.ToLower(strings.TrimSpace(env["OTEL_TRACES_EXPORTER"]))
	if exporter == "" && (env["OTEL_EXPORTER_OTLP_ENDPOINT"] != "" || env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] != "") {
		exporter = "otlp"
	}
	var exp sdktrace.SpanExporter
	var err error
	switch exporter {
	case "", "none":
		return nil, nil
	case "otlp":
		proto := env["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"]
		if proto == "" {
			proto = env["OTEL_EXPORTER_OTLP_PROTOCOL"]
		}
		if proto != "" && proto != "http/protobuf" {
			return nil, fmt.Errorf("tracing: OTEL_EXPORTER_OTLP_PROTOCOL %q is not supported; use http/protobuf", proto)
		}
		exp, err = otlptracehttp.New(context.Background())
	case "console":
		exp, err = stdouttrace.New(stdouttrace.WithWriter(console))
	default:
		return nil, fmt.Errorf("tracing: OTEL_TRACES_EXPORTER %q is not supported (use otlp, console or none)", exporter)
	}
	if err != nil {
		return nil, fmt.Errorf("tracing: %w", err)
	}
	res, err := resource.New(context.Background(),
		resource.WithAttributes(attribute.String("service.name", "regbridge"), attribute.String("service.version", version)),
		resource.WithFromEnv(), resource.WithTelemetrySDK())
	if err != nil {
		return nil, fmt.Errorf("tracing: resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	return &tracing{provider: tp, tracer: tp.Tracer("github.com/regbridge/regbridge/bridge")}, nil
}

// shutdown flushes pending spans.
func (t *tracing) shutdown(ctx context.Context) error { return t.provider.Shutdown(ctx) }
