package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/graph/model"
	"github.com/gqlauth/gqlauth/reqlog"
)

// Directives returns the implementations of @auth, @fresh, @hasRole,
// @verified and @mfa.
//
// gqlgen nests directives in schema order, so on `@hasRole(role: ADMIN)
// @fresh` the @fresh check would run first. Each directive therefore checks
// everything its field asks for, in one fixed order: the token (so a missing
// or bad one is UNAUTHENTICATED before anything else), then the role (with,
// for ADMIN, the admin second-factor rule), then the verified address, then
// @mfa, then freshness (no use asking a USER to log in again for an ADMIN
// field, nor anyone before their address is verified).
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
	// own is what the calling directive itself stands for: it is checked
	// even if the field's definition cannot be read, never failing open.
	guard := func(ctx context.Context, next graphql.Resolver, own guards) (any, error) {
		p, err := tracedCheck(ctx, svc, own)
		if report(err) != nil {
			return nil, err
		}
		reqlog.SetUserID(ctx, p.User.ID)
		holdRole(ctx, own.role)
		return next(auth.WithPrincipal(ctx, p))
	}

	return DirectiveRoot{
		Auth: func(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
			return guard(ctx, next, guards{})
		},
		Fresh: func(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
			return guard(ctx, next, guards{fresh: true})
		},
		Verified: func(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
			return guard(ctx, next, guards{verified: true})
		},
		Mfa: func(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
			return guard(ctx, next, guards{mfa: true})
		},
		HasRole: func(ctx context.Context, _ any, next graphql.Resolver, role model.Role) (any, error) {
			return guard(ctx, next, guards{role: auth.Role(role)})
		},
	}
}

// guards are the requirements the directives of one field add up to.
type guards struct {
	role                 auth.Role
	fresh, verified, mfa bool
}

// check authenticates the caller and applies the field's role, verified
// address, second factor and freshness requirements, in that order: those
// the field declares, and at least own.
func check(ctx context.Context, svc *auth.Service, own guards) (*auth.Principal, error) {
	p, err := svc.Guard.Authenticate(ctx)
	if err != nil {
		return nil, err
	}
	g := fieldGuards(ctx)
	if g.role == "" {
		g.role = own.role
	}
	if g.role != "" {
		if err := auth.RequireRole(p, g.role); err != nil {
			return nil, err
		}
	}
	if g.verified || own.verified {
		if err := auth.RequireVerified(p); err != nil {
			return nil, err
		}
	}
	if g.mfa || own.mfa {
		if err := auth.RequireMFA(p); err != nil {
			return nil, err
		}
	}
	if g.fresh || own.fresh {
		if err := auth.RequireFresh(p); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// fieldGuards reads the guard directives declared on the field being
// resolved.
func fieldGuards(ctx context.Context) (g guards) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Definition == nil {
		return g
	}
	for _, d := range fc.Field.Definition.Directives {
		switch d.Name {
		case "fresh":
			g.fresh = true
		case "verified":
			g.verified = true
		case "mfa":
			g.mfa = true
		case "hasRole":
			if a := d.Arguments.ForName("role"); a != nil && a.Value != nil {
				g.role = auth.Role(a.Value.Raw)
			}
		}
	}
	return g
}
