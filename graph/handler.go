package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/httpapi"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// HandlerOptions configure the GraphQL endpoint.
type HandlerOptions struct {
	Introspection bool
	Logger        *slog.Logger
}

// NewHandler returns the /graphql endpoint. Transports are explicit: JSON
// POST, and GET for queries only (gqlgen refuses mutations over GET). There
// is no form or multipart transport, so a cross-site HTML form cannot reach
// a resolver.
func NewHandler(svc *auth.Service, opts HandlerOptions) http.Handler {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	srv := handler.New(NewExecutableSchema(Config{
		Resolvers:  &Resolver{Auth: svc},
		Directives: Directives(svc),
	}))
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	if opts.Introspection {
		srv.Use(extension.Introspection{})
	}
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](100)})
	srv.SetErrorPresenter(errorPresenter(log))
	srv.SetRecoverFunc(func(ctx context.Context, v any) error {
		log.ErrorContext(ctx, "panic in resolver", "request_id", httpapi.RequestID(ctx), "panic", fmt.Sprint(v))
		return auth.Internal(fmt.Errorf("panic: %v", v))
	})
	return srv
}

// errorPresenter turns every error into a GraphQL error with
// extensions.code. Errors of the service carry a safe message; anything else
// is logged with the request id and shown only as INTERNAL_SERVER_ERROR.
func errorPresenter(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gerr := graphql.DefaultErrorPresenter(ctx, err)
		var ae *auth.Error
		if errors.As(err, &ae) && ae.Code != auth.CodeInternal {
			gerr.Message = ae.Message
			gerr.Extensions = map[string]any{"code": string(ae.Code)}
			if ae.Reason != "" {
				gerr.Extensions["reason"] = string(ae.Reason)
			}
			if ae.Field != "" {
				gerr.Extensions["field"] = ae.Field
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
		rid := httpapi.RequestID(ctx)
		log.ErrorContext(ctx, "internal error", "request_id", rid, "path", gerr.Path.String(), "err", err)
		gerr.Message = "internal server error"
		gerr.Extensions = map[string]any{"code": string(auth.CodeInternal), "requestId": rid}
		return gerr
	}
}
