package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gqlauth/gqlauth/reqlog"
	"github.com/gqlauth/gqlauth/tracing"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// traceRequests makes the server span of each request, continuing the
// caller's trace when it sends a W3C traceparent (a router's trace then
// runs through this server), so every layer below can add its spans (see
// package tracing). The span carries the method, the route (one of this
// server's, never the client's path or query string, which may hold a
// token) and the status; no header, so no Authorization or cookie.
// With tp nil (telemetry off) requests pass untouched.
func traceRequests(tp trace.TracerProvider, next http.Handler) http.Handler {
	if tp == nil {
		return next
	}
	tracer := tp.Tracer(tracing.Scope)
	prop := propagation.TraceContext{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		method := spanMethod(r.Method)
		name, route := method, routeOf(r.URL.Path)
		attrs := []attribute.KeyValue{
			attribute.String("http.request.method", method),
			attribute.String("url.scheme", scheme(r)),
			tracing.RequestID.String(reqlog.RequestID(ctx)),
		}
		if route != "" {
			name += " " + route
			attrs = append(attrs, attribute.String("http.route", route))
		}
		ctx, span := tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attrs...))
		defer span.End()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r.WithContext(ctx))
		status := rec.status
		if status == 0 {
			status = http.StatusOK // net/http's answer to a handler that wrote nothing
		}
		span.SetAttributes(attribute.Int("http.response.status_code", status))
		if status >= 500 {
			span.SetStatus(codes.Error, "")
			span.SetAttributes(attribute.String("error.type", strconv.Itoa(status)))
		}
	})
}

// routeOf is the route of path among this server's, or "" for any other
// path: a span name must not be whatever a client chose to request.
func routeOf(path string) string {
	switch path {
	case "/graphql", "/healthz", "/readyz", "/.well-known/jwks.json", "/metrics", "/":
		return path
	}
	if strings.HasPrefix(path, PlaygroundAssetsPath) {
		return PlaygroundAssetsPath + "*"
	}
	return ""
}

// spanMethod is the method for the span, or _OTHER for a made-up one (as
// the semantic conventions ask, so that clients cannot mint span names).
func spanMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return m
	}
	return "_OTHER"
}

func scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}
