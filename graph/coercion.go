package graph

import (
	"context"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/gqlauth/gqlauth/auth"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// coercionError recognizes an argument that gqlgen could not convert to
// its Go type after validation let it through (a _Any representation
// that is not an object, say). gqlgen reports it as a wrapped plain
// error, which would read as an internal failure; its path, though, runs
// from the field into one of the field's arguments, which no resolver
// error does. It returns the error as BAD_USER_INPUT naming that argument.
func coercionError(ctx context.Context, gerr *gqlerror.Error) (*gqlerror.Error, bool) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || gerr.Err == nil {
		return nil, false
	}
	at := fc.Path()
	if len(gerr.Path) <= len(at) {
		return nil, false
	}
	for i := range at {
		if gerr.Path[i] != at[i] {
			return nil, false
		}
	}
	name, ok := gerr.Path[len(at)].(ast.PathName)
	if !ok || fc.Field.Definition == nil || fc.Field.Definition.Arguments.ForName(string(name)) == nil {
		return nil, false
	}
	var field strings.Builder
	for _, el := range gerr.Path[len(at):] {
		switch el := el.(type) {
		case ast.PathName:
			if field.Len() > 0 {
				field.WriteByte('.')
			}
			field.WriteString(string(el))
		case ast.PathIndex:
			field.WriteString("[" + strconv.Itoa(int(el)) + "]")
		}
	}
	gerr.Message = field.String() + ": " + gerr.Err.Error()
	gerr.Path = at
	gerr.Extensions = map[string]any{"code": string(auth.CodeBadUserInput), "field": field.String()}
	return gerr, true
}
