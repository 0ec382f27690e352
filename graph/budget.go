package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/gqlauth/gqlauth/auth"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// documentBudget refuses a document over Limits.MaxNodes before gqlgen
// validates it. Validation is not linear: gqlparser's
// OverlappingFieldsCanBeMerged compares same-named fields (and spread
// fragments) pairwise, so 5,000 copies of one field in a 54 KB body cost
// seconds. Parsing and counting are linear, and a document within the
// budget validates in bounded time. It runs as an OperationParameterMutator,
// after the persisted-query extension has filled in the query and before
// gqlgen parses it.
type documentBudget struct {
	maxNodes, maxTokens int
	// introspection exempts introspection selections, within
	// introspectionNodes (see introspection.go).
	introspection bool
	// cache is gqlgen's query cache: a document found there was parsed,
	// counted and validated before, and is not parsed again here.
	cache graphql.Cache[*ast.QueryDocument]
}

var (
	_ graphql.HandlerExtension          = documentBudget{}
	_ graphql.OperationParameterMutator = documentBudget{}
)

func (documentBudget) ExtensionName() string                   { return "DocumentBudget" }
func (documentBudget) Validate(graphql.ExecutableSchema) error { return nil }

func (b documentBudget) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if err := contextError(ctx); err != nil {
		return err
	}
	if b.maxNodes <= 0 {
		return nil
	}
	if _, ok := b.cache.Get(ctx, p.Query); ok {
		return nil
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, b.maxTokens)
	if err != nil {
		// The same error, with the same code, that gqlgen's own parse gives.
		gerr, ok := err.(*gqlerror.Error)
		if !ok {
			gerr = gqlerror.Wrap(err)
		}
		errcode.Set(gerr, errcode.ParseFailed)
		return gerr
	}
	if err := b.check(doc); err != nil {
		return err
	}
	// gqlgen parses again (it has no way to take a parsed document), then
	// validates and caches it: a document is parsed twice once, then never.
	return contextError(ctx)
}

// check refuses a document over the node budget. Its introspection
// selections are exempt, but the whole document stays within the larger of
// QUERY_MAX_NODES and introspectionNodes: validation costs no more than
// either budget allows.
func (b documentBudget) check(doc *ast.QueryDocument) *gqlerror.Error {
	const what = "document size in nodes (selections, arguments, values, directives, variables)"
	n := countNodes(doc)
	if n <= b.maxNodes {
		return nil
	}
	if b.introspection && n-introspectionNodeCount(doc) <= b.maxNodes {
		if limit := max(b.maxNodes, introspectionNodes); n > limit {
			return limitError(auth.CodeQueryTooLarge, what, n, limit)
		}
		return nil
	}
	return limitError(auth.CodeQueryTooLarge, what, n, b.maxNodes)
}

// countNodes counts what validation visits: every selection, argument,
// value (each list item and object field), directive and variable
// definition, once as written.
func countNodes(doc *ast.QueryDocument) int {
	n := 0
	for _, op := range doc.Operations {
		n += directivesNodes(op.Directives) + selectionNodes(op.SelectionSet)
		for _, v := range op.VariableDefinitions {
			n += 1 + valueNodes(v.DefaultValue) + directivesNodes(v.Directives)
		}
	}
	for _, f := range doc.Fragments {
		n += directivesNodes(f.Directives) + selectionNodes(f.SelectionSet)
	}
	return n
}

func selectionNodes(set ast.SelectionSet) int {
	n := 0
	for _, sel := range set {
		n++
		switch s := sel.(type) {
		case *ast.Field:
			n += argumentNodes(s.Arguments) + directivesNodes(s.Directives) + selectionNodes(s.SelectionSet)
		case *ast.InlineFragment:
			n += directivesNodes(s.Directives) + selectionNodes(s.SelectionSet)
		case *ast.FragmentSpread:
			n += directivesNodes(s.Directives)
		}
	}
	return n
}

func directivesNodes(ds ast.DirectiveList) int {
	n := 0
	for _, d := range ds {
		n += 1 + argumentNodes(d.Arguments)
	}
	return n
}

func argumentNodes(args ast.ArgumentList) int {
	n := 0
	for _, a := range args {
		n += 1 + valueNodes(a.Value)
	}
	return n
}

func valueNodes(v *ast.Value) int {
	if v == nil {
		return 0
	}
	n := 1
	for _, c := range v.Children {
		n += valueNodes(c.Value)
	}
	return n
}
