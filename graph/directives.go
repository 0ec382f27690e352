package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/graph/model"
	"github.com/gqlauth/gqlauth/reqlog"
)

// Directives returns the implementations of @auth, @fresh and @hasRole.
//
// gqlgen nests directives in schema order, so on `@hasRole(role: ADMIN)
// @fresh` the @fresh check would run first. Each directive therefore checks
// everything its field asks for, in one fixed order: the token (so a missing
// or bad one is UNAUTHENTICATED before anything else), then the role, then
// freshness (no use asking a USER to log in again for an ADMIN field).
//
// onCheck, if not nil, hears each check's outcome: "OK", or the error's code
// and reason.
func Directives(svc *auth.Service, onCheck func(code, reason string)) DirectiveRoot {
	report := func(err error) error {
		if onCheck != nil {
			if err == nil {
				onCheck("OK", "")
			} else {
				onCheck(string(auth.ErrorCode(err)), string(auth.ErrorReason(err)))
			}
		}
		return err
	}
	guard := func(ctx context.Context, next graphql.Resolver, argRole auth.Role) (any, error) {
		p, err := check(ctx, svc, argRole)
		if report(err) != nil {
			return nil, err
		}
		reqlog.SetUserID(ctx, p.User.ID)
		holdRole(ctx, argRole)
		return next(auth.WithPrincipal(ctx, p))
	}

	return DirectiveRoot{
		Auth:  func(ctx context.Context, _ any, next graphql.Resolver) (any, error) { return guard(ctx, next, "") },
		Fresh: func(ctx context.Context, _ any, next graphql.Resolver) (any, error) { return guard(ctx, next, "") },
		HasRole: func(ctx context.Context, _ any, next graphql.Resolver, role model.Role) (any, error) {
			return guard(ctx, next, auth.Role(role))
		},
	}
}

// check authenticates the caller and applies the field's role and
// freshness requirements, in that order.
func check(ctx context.Context, svc *auth.Service, argRole auth.Role) (*auth.Principal, error) {
	p, err := svc.Guard.Authenticate(ctx)
	if err != nil {
		return nil, err
	}
	role, fresh := fieldGuards(ctx)
	if role == "" {
		role = argRole // never fail open if the definition cannot be read
	}
	if role != "" {
		if err := auth.RequireRole(p, role); err != nil {
			return nil, err
		}
	}
	if fresh {
		if err := auth.RequireFresh(p); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// fieldGuards reads the guard directives declared on the field being
// resolved: the role @hasRole demands and whether @fresh is present.
func fieldGuards(ctx context.Context) (role auth.Role, fresh bool) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Definition == nil {
		return "", false
	}
	for _, d := range fc.Field.Definition.Directives {
		switch d.Name {
		case "fresh":
			fresh = true
		case "hasRole":
			if a := d.Arguments.ForName("role"); a != nil && a.Value != nil {
				role = auth.Role(a.Value.Raw)
			}
		}
	}
	return role, fresh
}
