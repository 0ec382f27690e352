package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// serviceSDL lets federation's `_service { sdl }` through when introspection
// is off, so that a gateway (IntrospectAndCompose) or rover can read this
// subgraph's schema in production.
//
// gqlgen has one switch, OperationContext.DisableIntrospection, that gates
// both introspection (__schema, __type) and the generated _service
// resolver. Those two introspection fields exist only on the query root, so
// this extension turns the switch off for an operation whose root selection
// (through fragments too) has neither; any operation that asks for them
// keeps it on and gets gqlgen's "introspection disabled" error.
type serviceSDL struct{}

var (
	_ graphql.HandlerExtension        = serviceSDL{}
	_ graphql.OperationContextMutator = serviceSDL{}
)

func (serviceSDL) ExtensionName() string                   { return "FederationServiceSDL" }
func (serviceSDL) Validate(graphql.ExecutableSchema) error { return nil }

func (serviceSDL) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || oc.Operation.Operation != ast.Query {
		return nil
	}
	if !selectsIntrospection(oc.Doc, oc.Operation.SelectionSet, map[string]bool{}) {
		oc.DisableIntrospection = false
	}
	return nil
}

// selectsIntrospection reports whether a root selection set selects __schema
// or __type. It answers true when in doubt (a fragment it cannot find).
func selectsIntrospection(doc *ast.QueryDocument, set ast.SelectionSet, seen map[string]bool) bool {
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			if sel.Name == "__schema" || sel.Name == "__type" {
				return true
			}
		case *ast.InlineFragment:
			if selectsIntrospection(doc, sel.SelectionSet, seen) {
				return true
			}
		case *ast.FragmentSpread:
			if seen[sel.Name] {
				continue
			}
			seen[sel.Name] = true
			def := sel.Definition
			if def == nil && doc != nil {
				def = doc.Fragments.ForName(sel.Name)
			}
			if def == nil || selectsIntrospection(doc, def.SelectionSet, seen) {
				return true
			}
		default:
			return true
		}
	}
	return false
}
