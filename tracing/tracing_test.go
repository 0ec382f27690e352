package tracing

import (
	"context"
	"fmt"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// TestStartFollowsTheRequestSpan: inside a traced request, Start makes a
// child of the request's span with that span's provider; outside one, or
// before any provider started (telemetry off), it makes nothing.
func TestStartFollowsTheRequestSpan(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer tp.Shutdown(context.Background())
	reqCtx, req := tp.Tracer("test").Start(context.Background(), "request")

	enabled.Store(false)
	if Active(reqCtx) {
		t.Fatal("active before Enable")
	}
	if ctx, span := Start(reqCtx, "child", trace.SpanKindInternal); ctx != reqCtx || span.IsRecording() {
		t.Fatal("Start made a span before Enable")
	}

	Enable()
	if ctx, span := Start(context.Background(), "orphan", trace.SpanKindInternal); ctx != context.Background() || span.IsRecording() {
		t.Fatal("Start made a span outside a request")
	}
	unsampled := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: req.SpanContext().TraceID(), SpanID: req.SpanContext().SpanID()}))
	if Active(unsampled) {
		t.Fatal("active in an unsampled trace")
	}
	if id, ok := TraceID(unsampled); !ok || id != req.SpanContext().TraceID().String() {
		t.Fatalf("an unsampled request's trace id: %q, %v", id, ok)
	}
	if _, span := Start(unsampled, "child", trace.SpanKindInternal); span.IsRecording() {
		t.Fatal("Start recorded a span in an unsampled trace")
	}
	_, child := Start(reqCtx, "child", trace.SpanKindClient)
	Fail(child, "unavailable")
	child.End()
	req.End()
	ended := rec.Ended()
	if len(ended) != 2 || ended[0].Name() != "child" || ended[0].Parent().SpanID() != req.SpanContext().SpanID() ||
		ended[0].SpanKind() != trace.SpanKindClient || ended[0].Status().Description != "unavailable" {
		t.Fatalf("recorded %v", ended)
	}
}

// deepContext is a context as deep as a resolver's (gqlgen, the request
// id, the access log's fields, the claims…), without a span.
func deepContext() context.Context {
	ctx := context.Background()
	for i := range 24 {
		ctx = context.WithValue(ctx, fmt.Sprint(i), i)
	}
	return ctx
}

// BenchmarkActive: what a would-be span costs in a request that is not
// traced. off: no provider started in the process (telemetry off); on:
// one started, the context walked to find no span.
func BenchmarkActive(b *testing.B) {
	ctx := deepContext()
	for _, on := range []bool{false, true} {
		b.Run(map[bool]string{false: "off", true: "on-untraced"}[on], func(b *testing.B) {
			enabled.Store(on)
			for b.Loop() {
				if Active(ctx) {
					b.Fatal("active")
				}
			}
		})
	}
}
