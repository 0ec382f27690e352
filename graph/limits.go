package graph

import (
	"context"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/gqlauth/gqlauth/graph/model"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Limits bound what one request can make the server do. A zero field
// disables that limit.
type Limits struct {
	MaxDepth      int // nesting of selection sets
	MaxAliases    int // aliased fields in the operation
	MaxComplexity int // gqlgen complexity; credential mutations are priced high
	MaxTokens     int // parser token limit
}

// DefaultLimits fit every legitimate client (GraphiQL's introspection query
// included) with room to spare.
var DefaultLimits = Limits{MaxDepth: 12, MaxAliases: 30, MaxComplexity: 500, MaxTokens: 5000}

// credentialMutations are the fields that check or issue credentials. One
// request may run at most one of them, so that aliases or several fields
// cannot multiply guesses behind one rate-limit check.
var credentialMutations = map[string]bool{"login": true, "register": true, "refresh": true, "changePassword": true}

// credentialCost is the complexity of a credential mutation: each hashes a
// password or signs tokens.
const credentialCost = 100

// Error codes of rejected operations; extensions.limit names the bound.
const (
	CodeQueryTooDeep        = "QUERY_TOO_DEEP"
	CodeTooManyAliases      = "TOO_MANY_ALIASES"
	CodeTooManyCredentialOp = "TOO_MANY_CREDENTIAL_MUTATIONS"
)

// shapeLimits rejects an operation by its shape before any resolver runs.
type shapeLimits struct{ Limits }

var (
	_ graphql.HandlerExtension        = shapeLimits{}
	_ graphql.OperationContextMutator = shapeLimits{}
)

func (shapeLimits) ExtensionName() string                   { return "ShapeLimits" }
func (shapeLimits) Validate(graphql.ExecutableSchema) error { return nil }

func (l shapeLimits) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	var w shapeWalker
	w.walk(oc.Operation.SelectionSet, 1, oc.Operation.Operation == ast.Mutation, map[string]bool{})
	switch {
	case l.MaxDepth > 0 && w.depth > l.MaxDepth:
		return limitError(CodeQueryTooDeep, "query depth", w.depth, l.MaxDepth)
	case l.MaxAliases > 0 && w.aliases > l.MaxAliases:
		return limitError(CodeTooManyAliases, "aliases", w.aliases, l.MaxAliases)
	case w.credentialOps > 1:
		return limitError(CodeTooManyCredentialOp, "credential mutations (login, register, refresh, changePassword) per request", w.credentialOps, 1)
	}
	return nil
}

func limitError(code, what string, got, limit int) *gqlerror.Error {
	return &gqlerror.Error{
		Message:    "operation exceeds the limit on " + what + ": " + strconv.Itoa(got) + " > " + strconv.Itoa(limit),
		Extensions: map[string]any{"code": code, "limit": limit},
	}
}

type shapeWalker struct {
	depth, aliases, credentialOps int
}

// walk measures a selection set, following fragments (each fragment once per
// path, so that a cycle, already refused by validation, cannot loop here).
func (w *shapeWalker) walk(set ast.SelectionSet, depth int, root bool, seen map[string]bool) {
	if len(set) > 0 && depth > w.depth {
		w.depth = depth
	}
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Alias != "" && s.Alias != s.Name {
				w.aliases++
			}
			if root && credentialMutations[s.Name] {
				w.credentialOps++
			}
			w.walk(s.SelectionSet, depth+1, false, seen)
		case *ast.InlineFragment:
			w.walk(s.SelectionSet, depth, root, seen)
		case *ast.FragmentSpread:
			if s.Definition == nil || seen[s.Name] {
				continue
			}
			seen[s.Name] = true
			w.walk(s.Definition.SelectionSet, depth, root, seen)
			delete(seen, s.Name)
		}
	}
}

// priceCredentialMutations makes each credential mutation expensive in
// gqlgen's complexity, so the complexity limit also bounds hashing work.
func priceCredentialMutations(c *ComplexityRoot) {
	c.Mutation.Login = func(child int, _ model.LoginInput) int { return credentialCost + child }
	c.Mutation.Register = func(child int, _ model.RegisterInput) int { return credentialCost + child }
	c.Mutation.Refresh = func(child int, _ *string) int { return credentialCost + child }
	c.Mutation.ChangePassword = func(child int, _, _ string) int { return credentialCost + child }
}
