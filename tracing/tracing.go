// Package tracing makes the spans of one traced request. A request is
// traced when the HTTP layer started a recorded span for it (telemetry is
// on, see package telemetry, and the trace is sampled); every layer below
// starts its spans as children of the span in its context, with the
// provider that made that span. So nothing but the HTTP middleware needs
// wiring, work outside a request (background jobs, the CLI) makes no
// spans, and with telemetry off the whole cost is an atomic load per
// would-be span (see Active).
//
// What a span may carry is narrow, because traces leave the process for a
// collector that more people read than the database: names of operations,
// fields and store methods, error codes, a user id at most. Never a token,
// a password, an email, a link token, a query's arguments or an error's
// message (messages may quote the client's input).
package tracing

import (
	"context"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Scope is the instrumentation scope of every span gqlauth makes.
const Scope = "github.com/gqlauth/gqlauth"

// Attribute keys gqlauth sets beside the semantic conventions' own.
const (
	// ErrorCodes lists the distinct error codes of a GraphQL response.
	ErrorCodes = attribute.Key("gqlauth.error.codes")
	// AuthCode and AuthReason are a refused auth check's code and reason.
	AuthCode   = attribute.Key("gqlauth.auth.code")
	AuthReason = attribute.Key("gqlauth.auth.reason")
	// RequiredRole is the role a guarded field asks for.
	RequiredRole = attribute.Key("gqlauth.auth.required_role")
	// RequestID is the request's X-Request-Id, which its log lines carry.
	RequestID = attribute.Key("gqlauth.request_id")
)

// enabled is set once a tracer provider has started in this process
// (Enable). Until then no request can be traced, and Active answers
// without looking into the context: with telemetry off, each would-be
// span costs an atomic load.
var enabled atomic.Bool

// Enable tells Active that requests may be traced from now on; the
// telemetry package calls it when it starts a provider.
func Enable() { enabled.Store(true) }

// Active reports whether ctx belongs to a traced request whose trace is
// recorded. Every sampler gqlauth offers (see telemetry.ParseSampler)
// decides a span's children as it decided the span, so in a request whose
// trace is not sampled the layers below skip their spans altogether.
func Active(ctx context.Context) bool {
	return enabled.Load() && trace.SpanFromContext(ctx).IsRecording()
}

// TraceID is the id of the trace ctx's request belongs to, sampled or not,
// for its log lines; false outside a traced request.
func TraceID(ctx context.Context) (string, bool) {
	if !enabled.Load() {
		return "", false
	}
	sc := trace.SpanContextFromContext(ctx)
	return sc.TraceID().String(), sc.IsValid()
}

// noSpan is what Start returns outside a traced request: a span whose
// methods do nothing.
var noSpan = trace.SpanFromContext(context.Background())

// Start starts the span name as a child of the span in ctx, with that
// span's provider. Outside a traced request, or in one whose trace is not
// recorded, it starts nothing: it returns ctx and a span whose methods do
// nothing. Callers that build attributes
// check Active first, so that an untraced request does not pay for them.
func Start(ctx context.Context, name string, kind trace.SpanKind, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	if !enabled.Load() {
		return ctx, noSpan
	}
	parent := trace.SpanFromContext(ctx)
	if !parent.IsRecording() {
		return ctx, noSpan
	}
	return parent.TracerProvider().Tracer(Scope).Start(ctx, name, trace.WithSpanKind(kind), trace.WithAttributes(attrs...))
}

// Fail marks span failed with errType, a fixed word naming the kind of
// failure (the semantic conventions' error.type), never an error's text.
func Fail(span trace.Span, errType string) {
	span.SetAttributes(attribute.String("error.type", errType))
	span.SetStatus(codes.Error, errType)
}
