package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/graph/model"
)

// Directives returns the implementations of @auth, @fresh and @hasRole.
// Each authenticates first, so a missing or bad token is UNAUTHENTICATED
// before freshness or role is looked at, and stores the caller in the
// context for the directives and the resolver below it.
func Directives(svc *auth.Service) DirectiveRoot {
	guard := func(check func(context.Context) (*auth.Principal, error)) func(context.Context, any, graphql.Resolver) (any, error) {
		return func(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
			p, err := check(ctx)
			if err != nil {
				return nil, err
			}
			return next(auth.WithPrincipal(ctx, p))
		}
	}
	return DirectiveRoot{
		Auth:  guard(svc.Authenticate),
		Fresh: guard(svc.RequireFresh),
		HasRole: func(ctx context.Context, obj any, next graphql.Resolver, role model.Role) (any, error) {
			return guard(func(ctx context.Context) (*auth.Principal, error) {
				return svc.RequireRole(ctx, auth.Role(role))
			})(ctx, obj, next)
		},
	}
}
