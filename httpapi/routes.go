package httpapi

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/reqlog"
	"go.opentelemetry.io/otel/trace"
)

// Routes are the handlers the server mounts.
type Routes struct {
	GraphQL    http.Handler // mounted at /graphql
	Playground http.Handler // mounted at / and PlaygroundAssetsPath, nil when disabled
	// Ready reports whether the server can serve traffic (database
	// reachable, migrations applied).
	Ready  func(ctx context.Context) error
	Logger *slog.Logger
	// MaxBodyBytes bounds a GraphQL request body (DefaultMaxBodyBytes if 0).
	MaxBodyBytes int64
	// CORSOrigins may call /graphql from a browser, with credentials.
	// Empty: no cross-origin access at all.
	CORSOrigins []string
	// Metrics is mounted at /metrics when not nil.
	Metrics http.Handler
	// JWKS lists the public keys served at /.well-known/jwks.json.
	JWKS func() []*auth.VerifyKey
	// Tracing makes a span of every request when not nil (telemetry on).
	Tracing trace.TracerProvider
}

// NewHandler mounts the routes behind request ids and access logs.
func NewHandler(rt Routes) http.Handler {
	mux := http.NewServeMux()
	maxBody := rt.MaxBodyBytes
	if maxBody <= 0 {
		maxBody = DefaultMaxBodyBytes
	}
	mux.Handle("/graphql", corsFor(rt.CORSOrigins)(guardSocket(rt.CORSOrigins, guardGraphQL(maxBody, rt.GraphQL))))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := rt.Ready(ctx); err != nil {
			rt.Logger.WarnContext(ctx, "not ready", "request_id", reqlog.RequestID(ctx), "err", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	if rt.JWKS != nil {
		mux.Handle("GET /.well-known/jwks.json", jwksHandler(rt.JWKS, rt.Logger))
	}
	if rt.Metrics != nil {
		mux.Handle("GET /metrics", rt.Metrics)
	}
	if rt.Playground != nil {
		mux.Handle("GET /{$}", rt.Playground)
		mux.Handle("GET "+PlaygroundAssetsPath, rt.Playground)
	}
	return WithRequestID(traceRequests(rt.Tracing, accessLog(rt.Logger, securityHeaders(mux))))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
