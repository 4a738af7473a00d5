package bridge

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Span names. A token request is one server span with three children: the
// provider call (or cache lookup), the policy decision and the signature.
const (
	SpanToken    = "regbridge.token"
	SpanExchange = "regbridge.exchange"
	SpanProvider = "regbridge.provider"
	SpanDecide   = "regbridge.decide"
	SpanSign     = "regbridge.sign"
)

// Tracing is off when Options.Tracer is nil: every helper below then returns
// at once, without allocating, so the request path pays one nil check per
// span.

// startRequestSpan opens the server span of a request, continuing a W3C
// traceparent the client sent. r is returned with the span's context.
func (s *Server) startRequestSpan(r *http.Request, name string) (*http.Request, trace.Span) {
	if s.opts.Tracer == nil {
		return r, nil
	}
	ctx := propagation.TraceContext{}.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	ctx, span := s.opts.Tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindServer))
	return r.WithContext(ctx), span
}

// endRequestSpan records the outcome of ev on span and ends it. Attributes
// never carry a secret: the subject and scopes are public facts of the
// decision, the credential appears only as its hash prefix.
func endRequestSpan(span trace.Span, ev *Event) {
	span.SetAttributes(
		attribute.String("regbridge.request_id", ev.RequestID),
		attribute.String("regbridge.service", ev.Service),
		attribute.String("regbridge.provider", ev.Provider),
		attribute.String("regbridge.outcome", string(ev.Outcome)),
		attribute.String("regbridge.reason", ev.Reason),
		attribute.Bool("regbridge.cache_hit", ev.CacheHit),
		attribute.Bool("regbridge.reused", ev.Reused),
		attribute.Int("http.response.status_code", ev.Status),
	)
	if ev.Status >= 500 {
		span.SetStatus(codes.Error, ev.Reason)
	}
	span.End()
}

// startSpan opens a child span, or returns a nil span when tracing is off.
func (s *Server) startSpan(ctx context.Context, name string) (context.Context, trace.Span) {
	if s.opts.Tracer == nil {
		return ctx, nil
	}
	return s.opts.Tracer.Start(ctx, name)
}

// endSpan ends span (nil is allowed), marking it failed when err is set. Only
// the error kind is recorded, never the error text, which may quote input.
func endSpan(span trace.Span, err error) {
	if span == nil {
		return
	}
	if err != nil {
		span.SetStatus(codes.Error, upstreamOutcome(err))
	}
	span.End()
}

// providerSpanEnd ends the provider span with the provider id and whether
// the cache answered.
func providerSpanEnd(span trace.Span, provider string, hit bool, err error) {
	if span == nil {
		return
	}
	span.SetAttributes(attribute.String("regbridge.provider", provider), attribute.Bool("regbridge.cache_hit", hit))
	endSpan(span, err)
}
