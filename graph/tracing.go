package graph

import (
	"context"
	"slices"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/tracing"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// SpanAuthCheck is the span of a guard directive's check: the token's
// state in the store, then the field's role, verified-address and
// freshness rules.
const SpanAuthCheck = "auth.check"

// operationTracing makes a span of each GraphQL operation in a traced
// request, named "<type> <label>" (query me, mutation login): the label
// is the metrics' (see operationLabel), so span names stay as few as the
// schema's fields however clients name their operations. The client's
// name is an attribute. The document and its variables are not: a login's
// password is a variable or a literal in it.
type operationTracing struct{ names map[string]bool }

// newOperationTracing traces operations, labelling those named in names
// by their name.
func newOperationTracing(names []string) operationTracing {
	listed := make(map[string]bool, len(names))
	for _, n := range names {
		listed[n] = true
	}
	return operationTracing{names: listed}
}

var (
	_ graphql.HandlerExtension     = operationTracing{}
	_ graphql.OperationInterceptor = operationTracing{}
)

func (operationTracing) ExtensionName() string                          { return "OperationTracing" }
func (operationTracing) Validate(schema graphql.ExecutableSchema) error { return nil }

// criticalCodes mark an operation's span failed: the server's own
// trouble, as against the client's (UNAUTHENTICATED, BAD_USER_INPUT…).
var criticalCodes = []string{string(auth.CodeInternal), string(auth.CodeUnavailable), string(auth.CodeOperationTimeout)}

func (t operationTracing) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if !tracing.Active(ctx) {
		return next(ctx)
	}
	oc := graphql.GetOperationContext(ctx)
	typ := "query"
	if oc.Operation != nil {
		typ = string(oc.Operation.Operation)
	}
	attrs := []attribute.KeyValue{attribute.String("graphql.operation.type", typ)}
	if oc.Operation != nil && oc.Operation.Name != "" {
		attrs = append(attrs, attribute.String("graphql.operation.name", oc.Operation.Name))
	}
	ctx, span := tracing.Start(ctx, typ+" "+operationLabel(oc.Operation, t.names), trace.SpanKindInternal, attrs...)
	h := next(ctx)
	subscription := typ == "subscription"
	var end sync.Once
	return func(ctx context.Context) *graphql.Response {
		resp := h(ctx)
		switch {
		case resp == nil:
			end.Do(func() { span.End() })
		case subscription:
			// One event per message; the span lasts as long as the
			// subscription.
			span.AddEvent("graphql.response", trace.WithAttributes(tracing.ErrorCodes.StringSlice(responseCodes(resp))))
		default:
			end.Do(func() {
				codes := responseCodes(resp)
				if len(codes) > 0 {
					span.SetAttributes(tracing.ErrorCodes.StringSlice(codes))
				}
				for _, c := range codes {
					if slices.Contains(criticalCodes, c) {
						tracing.Fail(span, c)
						break
					}
				}
				span.End()
			})
		}
		return resp
	}
}

// responseCodes are the distinct error codes of resp, in order.
func responseCodes(resp *graphql.Response) []string {
	var codes []string
	for _, e := range resp.Errors {
		if c, ok := e.Extensions["code"].(string); ok && !slices.Contains(codes, c) {
			codes = append(codes, c)
		}
	}
	return codes
}

// tracedCheck is check with a span in a traced request: the field checked,
// the role it asks for, and the outcome (the user's id, or the refusal's
// code and reason).
func tracedCheck(ctx context.Context, svc *auth.Service, own guards) (*auth.Principal, error) {
	if !tracing.Active(ctx) {
		return check(ctx, svc, own)
	}
	var attrs []attribute.KeyValue
	if fc := graphql.GetFieldContext(ctx); fc != nil {
		attrs = append(attrs, attribute.String("graphql.field.name", fc.Field.Name), attribute.String("graphql.field.parent_type", fc.Object))
	}
	role := fieldGuards(ctx).role
	if role == "" {
		role = own.role
	}
	if role != "" {
		attrs = append(attrs, tracing.RequiredRole.String(string(role)))
	}
	cctx, span := tracing.Start(ctx, SpanAuthCheck, trace.SpanKindInternal, attrs...)
	defer span.End()
	p, err := check(cctx, svc, own)
	if err != nil {
		code := auth.ErrorCode(err)
		span.SetAttributes(tracing.AuthCode.String(string(code)))
		if r := auth.ErrorReason(err); r != "" {
			span.SetAttributes(tracing.AuthReason.String(string(r)))
		}
		if slices.Contains(criticalCodes, string(code)) {
			tracing.Fail(span, string(code))
		}
		return nil, err
	}
	span.SetAttributes(attribute.String("user.id", p.User.ID))
	return p, nil
}
