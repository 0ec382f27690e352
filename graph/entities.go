package graph

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/plugin/federation/fedruntime"
	"github.com/gqlauth/gqlauth/auth"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// resolveEntities answers Query._entities itself instead of gqlgen's
// generated federation code, which reports a client's malformed
// representation (an unknown __typename, a missing id) as a plain error,
// so as INTERNAL_SERVER_ERROR with an ERROR log that anyone could fill
// without a token, and which loses the index of the representation that
// failed. Here each representation's error is on its own path
// ["_entities", i]: BAD_USER_INPUT for a malformed one (checked before the
// token, as it needs none), and the entity resolver's own error (FORBIDDEN,
// say) otherwise, as a router expects, to put each error on the entity
// it belongs to. The token is checked once for the whole batch.
func resolveEntities(svc *auth.Service, resolvers ResolverRoot) graphql.FieldMiddleware {
	return func(ctx context.Context, next graphql.Resolver) (any, error) {
		fc := graphql.GetFieldContext(ctx)
		if fc == nil || fc.Object != "Query" || fc.Field.Name != "_entities" {
			return next(ctx)
		}
		reps, _ := fc.Args["representations"].([]map[string]any)
		ids := make([]string, len(reps))
		valid := 0
		for i, rep := range reps {
			id, err := userReference(i, rep)
			if err != nil {
				addEntityError(ctx, fc, i, err)
				continue
			}
			ids[i] = id
			valid++
		}
		list := make([]fedruntime.Entity, len(reps))
		if valid == 0 {
			return list, nil
		}
		p, authErr := svc.Guard.Authenticate(ctx)
		if authErr == nil {
			// Once for the batch: each reference's use case finds the caller here.
			ctx = auth.WithPrincipal(ctx, p)
		}
		for i, id := range ids {
			if id == "" {
				continue
			}
			if authErr != nil {
				addEntityError(ctx, fc, i, authErr)
				continue
			}
			u, err := resolvers.Entity().FindUserByID(ctx, id)
			if err != nil {
				addEntityError(ctx, fc, i, err)
			} else if u != nil {
				list[i] = u
			}
		}
		return list, nil
	}
}

// userReference reads the id of the i-th representation, which must be
// {"__typename": "User", "id": <string or integer>}: User is the one
// entity type.
func userReference(i int, rep map[string]any) (string, error) {
	at := "representations[" + strconv.Itoa(i) + "]"
	switch tn, ok := rep["__typename"].(string); {
	case !ok:
		return "", auth.BadInput(at+".__typename", "a representation needs __typename, a string")
	case tn != "User":
		return "", auth.BadInput(at+".__typename", "unknown entity type; the entity here is User")
	}
	switch id := rep["id"].(type) {
	case string:
		if id != "" {
			return id, nil
		}
	case json.Number: // from variables
		if n, err := id.Int64(); err == nil {
			return strconv.FormatInt(n, 10), nil
		}
	case int64: // from a literal
		return strconv.FormatInt(id, 10), nil
	}
	return "", auth.BadInput(at+".id", "a User representation needs id, a non-empty string")
}

// addEntityError reports err on the path of the i-th entity, so that a
// gateway knows which reference failed.
func addEntityError(ctx context.Context, fc *graphql.FieldContext, i int, err error) {
	path := append(fc.Path(), ast.PathIndex(i))
	var ge *gqlerror.Error
	if !errors.As(err, &ge) {
		ge = gqlerror.WrapPath(path, err)
	}
	ge.Path = path
	graphql.AddError(ctx, graphql.AddFieldLocationToError(ctx, ge))
}
