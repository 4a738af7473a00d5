package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTracingIsOffUnlessAnOTELVariableTurnsItOn(t *testing.T) {
	cases := []struct {
		name    string
		env     map[string]string
		on      bool
		wantErr string
	}{
		{"no variables: off", map[string]string{}, false, ""},
		{"exporter none: off", map[string]string{"OTEL_TRACES_EXPORTER": "none"}, false, ""},
		{"SDK disabled wins over an exporter", map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "console"}, false, ""},
		{"console exporter: on", map[string]string{"OTEL_TRACES_EXPORTER": "console"}, true, ""},
		{"otlp exporter: on", map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, true, ""},
		{"an OTLP endpoint alone: on", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, true, ""},
		{"OTLP over gRPC is refused", map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, false, "http/protobuf"},
		{"an unknown exporter is refused", map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, false, "zipkin"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := newTracing(tc.env, io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one naming %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (tr != nil) != tc.on {
				t.Fatalf("tracing on = %v, want %v", tr != nil, tc.on)
			}
			if tr != nil {
				tr.shutdown(context.Background())
			}
		})
	}
}

func TestConsoleTracingPrintsTheRequestSpans(t *testing.T) {
	var out bytes.Buffer
	tr, err := newTracing(map[string]string{"OTEL_TRACES_EXPORTER": "console"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	_, span := tr.tracer.Start(context.Background(), "regbridge.token")
	span.End()
	if err := tr.shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"regbridge.token"`) {
		t.Errorf("console exporter printed no span:\n%s", out.String())
	}
}

func TestMetricsAreNeverOnThePublicTokenListenerUnlessConfigured(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	def, err := newObservability(&Config{}, log)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := def.handlers()["/metrics"]; ok {
		t.Error("/metrics is on the public token listener by default: anyone can scrape it")
	}
	public, err := newObservability(&Config{Observe: ObservabilityConfig{MetricsOnTokenListener: true}}, log)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := public.handlers()["/metrics"]; !ok {
		t.Error("metrics_on_token_listener: true serves no /metrics on the token listener")
	}
	admin, err := newObservability(&Config{Observe: ObservabilityConfig{MetricsListen: "127.0.0.1:0"}}, log)
	if err != nil {
		t.Fatal(err)
	}
	if len(admin.handlers()) != 0 {
		t.Error("/metrics is on the main listener although metrics_listen is set")
	}
	errc := make(chan error, 1)
	if err := admin.start(errc); err != nil {
		t.Fatal(err)
	}
	defer admin.shutdown(context.Background())
	resp, err := http.Get("http://" + admin.adminAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "regbridge_policy_reloads_total") {
		t.Errorf("admin /metrics: status %d\n%s", resp.StatusCode, body)
	}
}

func TestTheAuditKeyFileMustHoldAKeyOfAtLeast32Bytes(t *testing.T) {
	dir := t.TempDir()
	short, long := filepath.Join(dir, "short"), filepath.Join(dir, "long")
	os.WriteFile(short, []byte("too-short\n"), 0o600)
	os.WriteFile(long, []byte(strings.Repeat("k", 32)+"\n"), 0o600)
	log := slog.New(slog.DiscardHandler)
	for path, ok := range map[string]bool{short: false, long: true, filepath.Join(dir, "missing"): false} {
		o, err := newObservability(&Config{Observe: ObservabilityConfig{AuditKeyFile: path}}, log)
		if ok != (err == nil) {
			t.Errorf("%s: err = %v", filepath.Base(path), err)
		}
		if ok && o.auditKey.Reveal() != strings.Repeat("k", 32) {
			t.Errorf("%s: key %d bytes", filepath.Base(path), len(o.auditKey))
		}
	}
}
