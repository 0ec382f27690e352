package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/reqlog"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// HandlerOptions configure the GraphQL endpoint.
type HandlerOptions struct {
	Introspection bool
	// Suggestions lets validation errors say "did you mean …", which
	// helps developers and also helps strangers map a hidden schema.
	Suggestions bool
	Limits      Limits
	// Timeout bounds one request, reading, parsing and validating its
	// document included; 0 means none.
	Timeout time.Duration
	Logger  *slog.Logger
	// Observe, if set, hears of every executed operation: its label (see
	// operationLabel), its outcome ("ok" or the first error's code) and
	// its duration.
	Observe func(operation, outcome string, d time.Duration)
	// OperationNames are the operation names Observe may hear as such;
	// any other operation is labelled by its root field.
	OperationNames []string
	// OnAuthCheck, if set, hears the outcome of every directive check.
	OnAuthCheck func(code, reason string)
	// Sockets, if set, serves subscriptions over websockets at the
	// endpoint (sockets.go).
	Sockets *SocketOptions
	// HideEdgeDirectives leaves @authenticated and @requiresScopes out of
	// `_service { sdl }`, for gateways that refuse them.
	HideEdgeDirectives bool
}

// NewHandler returns the /graphql endpoint. Transports are explicit: JSON
// POST, GET for queries only (a mutation over GET is refused with 405,
// see httpstatus.go), and, with opts.Sockets, websockets for subscriptions
// only (sockets.go). There
// is no form or multipart transport, so a cross-site HTML form cannot reach
// a resolver.
func NewHandler(svc *auth.Service, opts HandlerOptions) http.Handler {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	cfg := Config{Resolvers: &Resolver{Auth: svc}, Directives: Directives(svc, opts.OnAuthCheck)}
	priceCredentialMutations(&cfg.Complexity)
	es := NewExecutableSchema(cfg)
	srv := handler.New(es)
	var socks *sockets
	if opts.Sockets != nil {
		socks = &sockets{svc: svc, opts: *opts.Sockets, log: log}
		srv.AddTransport(socks.transport())
	}
	srv.AddTransport(transport.Options{})
	srv.AddTransport(getTransport{})
	srv.AddTransport(postTransport{})
	queryCache := newQueryCache(1000)
	srv.SetQueryCache(queryCache)
	if opts.Introspection {
		srv.Use(extension.Introspection{})
	} else {
		srv.Use(serviceSDL{}) // federation's _service { sdl } stays readable
	}
	srv.SetDisableSuggestion(!opts.Suggestions)
	if opts.Limits.MaxTokens > 0 {
		srv.SetParserTokenLimit(opts.Limits.MaxTokens)
	}
	srv.Use(shapeLimits{opts.Limits, es})
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](100)})
	srv.Use(requireQuery{})
	// After the persisted query is known, before gqlgen parses it.
	srv.Use(documentBudget{maxNodes: opts.Limits.MaxNodes, maxTokens: opts.Limits.MaxTokens,
		introspection: opts.Introspection, cache: queryCache})
	srv.AroundOperations(observeOperations(opts.Observe, opts.OperationNames))
	srv.Use(newOperationTracing(opts.OperationNames))
	srv.AroundOperations(socketOperations)
	srv.AroundResponses(flushFinal)
	srv.AroundFields(checkArguments)
	if opts.HideEdgeDirectives {
		srv.AroundFields(withoutEdgeDirectives)
	}
	srv.AroundFields(resolveEntities(svc, cfg.Resolvers))
	presenter := errorPresenter(log)
	if !opts.Suggestions {
		presenter = withoutSuggestions(presenter)
	}
	srv.SetErrorPresenter(presenter)
	srv.SetRecoverFunc(func(ctx context.Context, v any) error {
		log.ErrorContext(ctx, "panic in resolver", "request_id", reqlog.RequestID(ctx), "panic", fmt.Sprint(v))
		return auth.Internal(fmt.Errorf("panic: %v", v))
	})
	var h http.Handler = srv
	if opts.Timeout > 0 {
		h = withDeadline(h, opts.Timeout)
	}
	if socks != nil {
		h = socks.wrap(h)
	}
	return h
}

// errorPresenter turns every error into a GraphQL error with
// extensions.code. Errors of the service carry a safe message; anything else
// is logged with the request id and shown only as INTERNAL_SERVER_ERROR.
func errorPresenter(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gerr := graphql.DefaultErrorPresenter(ctx, err)
		if hideUndecodedBody(gerr) {
			return gerr
		}
		if errors.Is(err, context.DeadlineExceeded) {
			gerr.Message = "the operation took too long and was stopped"
			gerr.Extensions = map[string]any{"code": string(auth.CodeOperationTimeout)}
			return gerr
		}
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			// The client left while a resolver waited (on a hash, on the
			// database): nobody reads this answer, and a client that
			// hangs up must not be able to fill the error log.
			return contextError(ctx)
		}
		if introspectionRefused(err) {
			// gqlgen's refusal of __schema/__type is a plain error; it is the
			// client's doing, not an internal failure worth an ERROR log.
			gerr.Message = "introspection is disabled on this server"
			gerr.Extensions = map[string]any{"code": string(auth.CodeIntrospectionDisabled)}
			return gerr
		}
		var ae *auth.Error
		if errors.As(err, &ae) && ae.Code == auth.CodeUnavailable {
			log.WarnContext(ctx, "dependency unavailable", "request_id", reqlog.RequestID(ctx), "err", err)
		}
		if errors.As(err, &ae) && ae.Code != auth.CodeInternal {
			gerr.Message = ae.Message
			gerr.Extensions = map[string]any{"code": string(ae.Code)}
			if ae.Reason != "" {
				gerr.Extensions["reason"] = string(ae.Reason)
			}
			if ae.Field != "" {
				gerr.Extensions["field"] = ae.Field
			}
			if ae.RetryAfter > 0 {
				gerr.Extensions["retryAfter"] = ae.RetryAfter
			}
			return gerr
		}
		var ge *gqlerror.Error
		if ae == nil && errors.As(err, &ge) && ge.Err == nil {
			// gqlgen's own errors (validation, coercion of input) are written
			// for clients already; give them a code if they lack one.
			if gerr.Extensions == nil {
				gerr.Extensions = map[string]any{}
			}
			if _, ok := gerr.Extensions["code"]; !ok {
				gerr.Extensions["code"] = string(auth.CodeBadUserInput)
			}
			return gerr
		}
		if ce, ok := coercionError(ctx, gerr); ok {
			return ce
		}
		rid := reqlog.RequestID(ctx)
		log.ErrorContext(ctx, "internal error", "request_id", rid, "path", gerr.Path.String(), "err", err)
		gerr.Message = "internal server error"
		gerr.Extensions = map[string]any{"code": string(auth.CodeInternal), "requestId": rid}
		return gerr
	}
}

// observeOperations names the operation in the access log and reports its
// label, outcome and duration. The log keeps the client's name, which is
// what a developer searches for; an anonymous operation is logged by the
// label its metrics carry.
func observeOperations(observe func(string, string, time.Duration), names []string) graphql.OperationMiddleware {
	listed := make(map[string]bool, len(names))
	for _, n := range names {
		listed[n] = true
	}
	return func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		start := time.Now()
		oc := graphql.GetOperationContext(ctx)
		label := operationLabel(oc.Operation, listed)
		name := label
		if oc.Operation != nil && oc.Operation.Name != "" {
			name = oc.Operation.Name
		}
		reqlog.SetOperation(ctx, name)
		h := next(ctx)
		if oc.Operation != nil && oc.Operation.Operation == ast.Subscription {
			// Its responses are events, hours apart: not an operation's
			// duration (gqlauth_websockets_open counts the sockets).
			return h
		}
		return func(ctx context.Context) *graphql.Response {
			resp := h(ctx)
			if observe != nil {
				outcome := "ok"
				if resp != nil && len(resp.Errors) > 0 {
					outcome = "error"
					if c, ok := resp.Errors[0].Extensions["code"].(string); ok {
						outcome = c
					}
				}
				observe(label, outcome, time.Since(start))
			}
			return resp
		}
	}
}

// introspectionRefused recognizes gqlgen's refusal of __schema and __type,
// which it reports only as an unexported plain error.
func introspectionRefused(err error) bool {
	for ; err != nil; err = errors.Unwrap(err) {
		if err.Error() == "introspection disabled" {
			return true
		}
	}
	return false
}
