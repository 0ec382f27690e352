package graph

import (
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// Introspection documents are what every tool sends first (GraphiQL,
// graphql-codegen, IDE plugins), written by graphql-js's
// getIntrospectionQuery: 15 selection sets deep through its TypeRef
// fragment's nine ofType, about 90 nodes. They pass the operation's limits
// whatever those are set to, without raising them for other queries:
//
//   - In the shape (shape.go), a field that returns an introspection type
//     (__schema, __type) counts as one level and costs nothing, whatever
//     it selects. From an introspection type only introspection types are
//     reachable, so nothing else can hide below it. What can be expensive
//     there is a cycle through a type's members (__Type.fields →
//     __Field.type → __Type.fields …), each turn multiplying the answer by
//     the fields of a type: gqlparser's validation refuses more than two of
//     fields, inputFields, interfaces and possibleTypes nested on one path
//     (graphql-js's MaxIntrospectionDepthRule). Aliases are still counted:
//     the standard queries have none.
//   - In the node budget (budget.go), the nodes of __schema and __type
//     selections and of fragments on introspection types do not count
//     against QUERY_MAX_NODES; the whole document still stays within
//     max(QUERY_MAX_NODES, introspectionNodes), so validation costs no more
//     than the default budget (300) allows.

// introspectionNodes is the node budget of a document's introspection
// selections when QUERY_MAX_NODES is lower: the largest standard
// introspection query (every getIntrospectionQuery option on) has 91.
const introspectionNodes = 150

// introspective reports whether f returns a built-in introspection type
// (__Schema, __Type, __Field, …): names starting with "__" are reserved
// to them, and only gqlparser's prelude defines them.
func (m *measurer) introspective(f *ast.Field) bool {
	if f.Definition == nil {
		return false
	}
	t := m.schema.Types[f.Definition.Type.Name()]
	return t != nil && t.BuiltIn && isIntrospectionType(t.Name)
}

func isIntrospectionType(name string) bool {
	return strings.HasPrefix(name, "__")
}

// introspectionNodeCount counts, before validation (no types known), the
// nodes of a document that only introspection can use: __schema and
// __type selected at an operation's root, and fragments on introspection
// types. A document that puts them elsewhere fails validation, whose cost
// the caller bounds by the whole document's nodes anyway.
func introspectionNodeCount(doc *ast.QueryDocument) int {
	n := 0
	for _, op := range doc.Operations {
		n += rootIntrospectionNodes(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		if isIntrospectionType(f.TypeCondition) {
			n += directivesNodes(f.Directives) + selectionNodes(f.SelectionSet)
		}
	}
	return n
}

func rootIntrospectionNodes(set ast.SelectionSet) int {
	n := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "__schema" || s.Name == "__type" {
				n += selectionNodes(ast.SelectionSet{s})
			}
		case *ast.InlineFragment:
			n += rootIntrospectionNodes(s.SelectionSet)
		}
	}
	return n
}
