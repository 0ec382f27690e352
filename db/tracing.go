package db

import (
	"context"
	"errors"
	"runtime"
	"strings"

	"github.com/gqlauth/gqlauth/tracing"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// Span names: "db.<Method>" for a statement, after the store method that
// runs it (db.TokenState, db.CreateSession…), and SpanTx for a transaction
// from BEGIN to COMMIT or ROLLBACK.
const (
	spanPrefix = "db."
	SpanTx     = "db.Tx"
)

// traceQuery starts the span of one statement in a traced request. It
// carries the dialect, the statement's first keyword and the store method:
// never the SQL's arguments (emails, token hashes), and not its text
// either, which is the code's and says no more than the method.
func (q queries) traceQuery(ctx context.Context, query string) (context.Context, trace.Span) {
	if !tracing.Active(ctx) {
		return ctx, nil
	}
	method := storeMethod()
	return tracing.Start(ctx, spanPrefix+method, trace.SpanKindClient,
		attribute.String("db.system.name", systemName(q.dialect)),
		attribute.String("db.operation.name", firstKeyword(query)),
		attribute.String("code.function.name", "db."+method))
}

// traceTx starts the span of a transaction in a traced request.
func (s *Store) traceTx(ctx context.Context) (context.Context, trace.Span) {
	if !tracing.Active(ctx) {
		return ctx, nil
	}
	return tracing.Start(ctx, SpanTx, trace.SpanKindClient,
		attribute.String("db.system.name", systemName(s.dialect)),
		attribute.String("db.operation.name", "TRANSACTION"))
}

// endSpan ends span (nil outside a traced request), marking it failed by
// the kind of err: a missing row is an answer, not a failure.
func endSpan(span trace.Span, err error) {
	if span == nil {
		return
	}
	switch {
	case err == nil, isNoRows(err):
	case isUniqueViolation(err):
		tracing.Fail(span, "unique_violation")
	case errors.Is(err, context.Canceled):
		tracing.Fail(span, "canceled")
	case errors.Is(err, context.DeadlineExceeded):
		tracing.Fail(span, "timeout")
	case unavailable(err):
		tracing.Fail(span, "unavailable")
	default:
		tracing.Fail(span, "error")
	}
	span.End()
}

// endTx ends a transaction's span (nil outside a traced request) with its
// outcome. A rollback because the use case refused (a taken email, a
// reused token) is no failure of the database; BEGIN's or COMMIT's is.
func endTx(span trace.Span, committed bool, dbErr error) {
	if span == nil {
		return
	}
	outcome := "rollback"
	if committed {
		outcome = "commit"
	}
	span.SetAttributes(attribute.String("gqlauth.db.tx.outcome", outcome))
	endSpan(span, classify(dbErr))
}

// systemName is the semantic conventions' db.system.name of a dialect.
func systemName(dialect string) string {
	if dialect == Postgres {
		return "postgresql"
	}
	return "sqlite"
}

// firstKeyword is a statement's operation: SELECT, INSERT, UPDATE, DELETE
// or WITH.
func firstKeyword(query string) string {
	query = strings.TrimLeft(query, " \t\r\n(")
	end := strings.IndexAny(query, " \t\r\n(")
	if end < 0 {
		end = len(query)
	}
	return strings.ToUpper(query[:end])
}

// storeMethod names the store method that called the query helper: the
// nearest exported function of this package up the stack ("TokenState"
// rather than the "updateOne" it calls), else the nearest unexported one,
// without package, receiver or closure suffix.
func storeMethod() string {
	var pcs [12]uintptr
	n := runtime.Callers(3, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	fallback := "query"
	for {
		f, more := frames.Next()
		if !strings.HasPrefix(f.Function, thisPackage) {
			return fallback
		}
		name := methodName(f.Function)
		switch {
		case name == "" || queryHelpers[name]:
		case name[0] >= 'A' && name[0] <= 'Z':
			return name
		case fallback == "query":
			fallback = name
		}
		if !more {
			return fallback
		}
	}
}

// thisPackage prefixes the runtime names of this package's functions.
const thisPackage = "github.com/gqlauth/gqlauth/db."

// queryHelpers are the functions between a store method and storeMethod.
var queryHelpers = map[string]bool{"get": true, "selectAll": true, "exec": true, "traceQuery": true}

// methodName turns a runtime function name
// ("github.com/gqlauth/gqlauth/db.(*Store).Tx.func1") into its method or
// function ("Tx").
func methodName(fn string) string {
	if i := strings.LastIndexByte(fn, '/'); i >= 0 {
		fn = fn[i+1:]
	}
	parts := strings.Split(fn, ".")
	if len(parts) < 2 {
		return ""
	}
	parts = parts[1:] // the package
	for len(parts) > 1 {
		last := parts[len(parts)-1]
		if strings.HasPrefix(last, "func") || strings.HasPrefix(last, "gowrap") || strings.HasPrefix(last, "deferwrap") ||
			strings.Trim(last, "0123456789") == "" { // a closure in a closure: func2.1
			parts = parts[:len(parts)-1]
			continue
		}
		break
	}
	return parts[len(parts)-1]
}
