package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/gqlauth/gqlauth/auth"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// shapeLimits rejects a validated operation by its shape (depth, aliases,
// credential mutations, complexity) before any resolver runs. Selections on
// introspection types are bounded by validation instead (introspection.go).
// It replaces
// gqlgen's complexity extension, which walks a fragment again at every
// spread: fragments that spread the next one twice made it (and the old
// walker here) enumerate 2^levels paths from a document under 1 KB.
type shapeLimits struct {
	Limits
	es graphql.ExecutableSchema
}

var (
	_ graphql.HandlerExtension        = shapeLimits{}
	_ graphql.OperationContextMutator = shapeLimits{}
)

func (shapeLimits) ExtensionName() string                   { return "ShapeLimits" }
func (shapeLimits) Validate(graphql.ExecutableSchema) error { return nil }

func (l shapeLimits) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if err := contextError(ctx); err != nil {
		return err // validation ran past the deadline, or the client left
	}
	if oc.Operation == nil {
		return nil
	}
	s := newMeasurer(ctx, l.es, oc.Variables).set(oc.Operation.SelectionSet)
	switch {
	case l.MaxDepth > 0 && s.depth > l.MaxDepth:
		return limitError(auth.CodeQueryTooDeep, "query depth", s.depth, l.MaxDepth)
	case l.MaxAliases > 0 && s.aliases > l.MaxAliases:
		return limitError(auth.CodeTooManyAliases, "aliases", s.aliases, l.MaxAliases)
	case s.credentialOps > 1:
		return limitError(auth.CodeTooManyCredentialOps, "credential mutations (login, register, refresh, changePassword, the email links) per request", s.credentialOps, 1)
	case l.MaxComplexity > 0 && s.complexity > l.MaxComplexity:
		return limitError(auth.CodeComplexityLimitExceeded, "complexity", s.complexity, l.MaxComplexity)
	}
	return nil
}

// shape is what the limits look at in one selection set, counted as if
// every fragment spread were written out in place.
type shape struct {
	depth         int // nesting of non-empty selection sets, this one included
	aliases       int
	credentialOps int
	complexity    int
}

func (s shape) plus(o shape) shape {
	return shape{
		depth:         max(s.depth, o.depth),
		aliases:       satAdd(s.aliases, o.aliases),
		credentialOps: satAdd(s.credentialOps, o.credentialOps),
		complexity:    satAdd(s.complexity, o.complexity),
	}
}

// measurer computes shapes visiting each fragment definition once: a
// fragment's shape does not depend on where it is spread (depth is
// relative, credential mutations are known by their parent type), so it is
// memoised and added at every spread. The work is linear in the document.
type measurer struct {
	ctx      context.Context
	es       graphql.ExecutableSchema
	schema   *ast.Schema
	vars     map[string]any
	mutation string
	frags    map[string]*shape // nil while a fragment is being measured
}

func newMeasurer(ctx context.Context, es graphql.ExecutableSchema, vars map[string]any) *measurer {
	m := &measurer{ctx: ctx, es: es, schema: es.Schema(), vars: vars, frags: map[string]*shape{}}
	if m.schema.Mutation != nil {
		m.mutation = m.schema.Mutation.Name
	}
	return m
}

func (m *measurer) set(set ast.SelectionSet) shape {
	var s shape
	if len(set) > 0 {
		s.depth = 1
	}
	for _, sel := range set {
		switch x := sel.(type) {
		case *ast.Field:
			child := m.set(x.SelectionSet)
			f := shape{depth: 1 + child.depth, aliases: child.aliases, credentialOps: child.credentialOps,
				complexity: m.fieldComplexity(x, child.complexity)}
			if m.introspective(x) {
				// Only introspection types are reachable from here.
				f.depth, f.complexity = 1, 0
			}
			if x.Alias != "" && x.Alias != x.Name {
				f.aliases = satAdd(f.aliases, 1)
			}
			if x.ObjectDefinition != nil && x.ObjectDefinition.Name == m.mutation && credentialMutations[x.Name] {
				f.credentialOps = satAdd(f.credentialOps, 1)
			}
			s = s.plus(f)
		case *ast.InlineFragment:
			s = s.plus(m.set(x.SelectionSet))
		case *ast.FragmentSpread:
			s = s.plus(m.fragment(x.Definition))
		}
	}
	return s
}

func (m *measurer) fragment(def *ast.FragmentDefinition) shape {
	if def == nil {
		return shape{}
	}
	if s, seen := m.frags[def.Name]; seen {
		if s == nil {
			return shape{} // a cycle, which validation has already refused
		}
		return *s
	}
	m.frags[def.Name] = nil
	s := m.set(def.SelectionSet)
	m.frags[def.Name] = &s
	return s
}

// fieldComplexity prices a field as gqlgen's complexity package does: the
// schema's complexity function if it has one, else 1 plus its children;
// __schema is free; a field of an interface costs what its dearest
// implementation does. (set then makes every introspection field free.)
func (m *measurer) fieldComplexity(f *ast.Field, child int) int {
	if f.Definition == nil || f.ObjectDefinition == nil {
		return satAdd(1, child)
	}
	typ := m.schema.Types[f.Definition.Type.Name()]
	if typ == nil {
		return satAdd(1, child)
	}
	if typ.Name == "__Schema" {
		return 0
	}
	if typ.Kind != ast.Object && typ.Kind != ast.Interface && typ.Kind != ast.Union {
		child = 0
	}
	if child >= unbounded {
		return unbounded // no schema function gets to see (or overflow) a saturated count
	}
	args := f.ArgumentMap(m.vars)
	if f.ObjectDefinition.Kind != ast.Interface {
		return m.priced(f.ObjectDefinition.Name, f.Name, child, args)
	}
	worst := 0
	for _, t := range m.schema.GetPossibleTypes(f.ObjectDefinition) {
		worst = max(worst, m.priced(t.Name, f.Name, child, args))
	}
	return worst
}

func (m *measurer) priced(typeName, field string, child int, args map[string]any) int {
	if c, ok := m.es.Complexity(m.ctx, typeName, field, child, args); ok && c >= 1 {
		return min(c, unbounded)
	}
	return satAdd(1, child)
}
