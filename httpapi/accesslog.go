package httpapi

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gqlauth/gqlauth/reqlog"
	"github.com/gqlauth/gqlauth/tracing"
)

// statusRecorder remembers the status code a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// accessLog writes one line per request. It logs the path, never the query
// string or headers, because those can carry tokens.
func accessLog(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		ctx, fields := reqlog.WithFields(r.Context())
		next.ServeHTTP(rec, r.WithContext(ctx))
		op, uid := fields.Get()
		attrs := []slog.Attr{
			slog.String("request_id", reqlog.RequestID(ctx)),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("operation", op),
			slog.String("user_id", uid),
			slog.Int("status", rec.status),
			slog.Duration("duration", time.Since(start)),
		}
		if id, ok := tracing.TraceID(ctx); ok {
			// Traced (telemetry on): the line leads to the request's trace.
			attrs = append(attrs, slog.String("trace_id", id))
		}
		log.LogAttrs(ctx, slog.LevelInfo, "request", attrs...)
	})
}
