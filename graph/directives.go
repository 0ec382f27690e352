package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/graph/model"
	"github.com/gqlauth/gqlauth/reqlog"
)

// Directives returns the implementations of @auth, @fresh, @hasRole and
// @verified.
//
// gqlgen nests directives in schema order, so on `@hasRole(role: ADMIN)
// @fresh` the @fresh check would run first. Each directive therefore checks
// everything its field asks for, in one fixed order: the token (so a missing
// or bad one is UNAUTHENTICATED before anything else), then the role, then
// the verified address, then freshness (no use asking a USER to log in
// again for an ADMIN field, nor anyone before their address is verified).
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
		p, err := tracedCheck(ctx, svc, argRole, false)
		if report(err) != nil {
			return nil, err
		}
		reqlog.SetUserID(ctx, p.User.ID)
		return next(auth.WithPrincipal(ctx, p))
	}

	return DirectiveRoot{
		Auth:  func(ctx context.Context, _ any, next graphql.Resolver) (any, error) { return guard(ctx, next, "") },
		Fresh: func(ctx context.Context, _ any, next graphql.Resolver) (any, error) { return guard(ctx, next, "") },
		HasRole: func(ctx context.Context, _ any, next graphql.Resolver, role model.Role) (any, error) {
			return guard(ctx, next, auth.Role(role))
		},
		Verified: func(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
			p, err := tracedCheck(ctx, svc, "", true)
			if report(err) != nil {
				return nil, err
			}
			reqlog.SetUserID(ctx, p.User.ID)
			return next(auth.WithPrincipal(ctx, p))
		},
	}
}

// check authenticates the caller and applies the field's role, verified
// address and freshness requirements, in that order. argRole and
// argVerified are what the calling directive itself stands for, so that a
// check never fails open if the field's definition cannot be read.
func check(ctx context.Context, svc *auth.Service, argRole auth.Role, argVerified bool) (*auth.Principal, error) {
	p, err := svc.Guard.Authenticate(ctx)
	if err != nil {
		return nil, err
	}
	role, fresh, verified := fieldGuards(ctx)
	if role == "" {
		role = argRole
	}
	if role != "" {
		if err := auth.RequireRole(p, role); err != nil {
			return nil, err
		}
	}
	if verified || argVerified {
		if err := auth.RequireVerified(p); err != nil {
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
// resolved: the role @hasRole demands and whether @fresh and @verified are
// present.
func fieldGuards(ctx context.Context) (role auth.Role, fresh, verified bool) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Definition == nil {
		return "", false, false
	}
	for _, d := range fc.Field.Definition.Directives {
		switch d.Name {
		case "fresh":
			fresh = true
		case "verified":
			verified = true
		case "hasRole":
			if a := d.Arguments.ForName("role"); a != nil && a.Value != nil {
				role = auth.Role(a.Value.Raw)
			}
		}
	}
	return role, fresh, verified
}
