// Package tracing makes the spans of one traced request. A request is
// traced when the HTTP layer started a span for it (telemetry is on, see
// package telemetry); every layer below starts its spans as children of
// the span in its context, with the provider that made that span. So
// nothing but the HTTP middleware needs wiring, work outside a request
// (background jobs, the CLI) makes no spans, and with telemetry off the
// whole cost is one look-up in the context per would-be span.
//
// What a span may carry is narrow, because traces leave the process for a
// collector that more people read than the database: names of operations,
// fields and store methods, error codes, a user id at most. Never a token,
// a password, an email, a link token, a query's arguments or an error's
// message (messages may quote the client's input).
package tracing

import (
	"context"

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

// Active reports whether ctx belongs to a traced request.
func Active(ctx context.Context) bool {
	return trace.SpanContextFromContext(ctx).IsValid()
}

// Start starts the span name as a child of the span in ctx, with that
// span's provider. Outside a traced request it starts nothing: it returns
// ctx and the no-op span that ctx holds. Callers that build attributes
// check Active first, so that an untraced request does not pay for them.
func Start(ctx context.Context, name string, kind trace.SpanKind, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	parent := trace.SpanFromContext(ctx)
	if !parent.SpanContext().IsValid() {
		return ctx, parent
	}
	return parent.TracerProvider().Tracer(Scope).Start(ctx, name, trace.WithSpanKind(kind), trace.WithAttributes(attrs...))
}

// Fail marks span failed with errType, a fixed word naming the kind of
// failure (the semantic conventions' error.type), never an error's text.
func Fail(span trace.Span, errType string) {
	span.SetAttributes(attribute.String("error.type", errType))
	span.SetStatus(codes.Error, errType)
}
