package graph

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/complexity"
	"github.com/gqlauth/gqlauth/auth"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// The memoised measurer must price as gqlgen's complexity package does, and
// count depth, aliases and credential mutations as a walk of every path
// would: only the cost of getting there changed. Introspection is the
// exception: free and one level deep.
func TestShapeMatchesPathEnumeration(t *testing.T) {
	cfg := Config{Resolvers: &Resolver{}}
	priceCredentialMutations(&cfg.Complexity)
	es := NewExecutableSchema(cfg)
	docs := []struct {
		q    string
		vars map[string]any
	}{
		{q: `{ __typename }`},
		{q: `{ me { id email } a: me { id } }`},
		{q: `query { ...Q ...Q ... on Query { b: me { ...U } } } fragment Q on Query { me { ...U } c: mySessions { id } } fragment U on User { id d: email }`},
		{q: `{ __schema { types { name fields { name type { ofType { name } } } } } __type(name: "User") { name fields { name } } }`},
		{q: `{ me { id } t: __type(name: "User") { ...T } } fragment T on __Type { fields { type { ofType { fields { a: name } } } } interfaces { name } }`},
		{q: `{ users(first: 5) { edges { node { id } } pageInfo { endCursor } } _entities(representations: []) { ... on User { id } } }`},
		{q: `mutation { login(input: {email: "a@example.com", password: "p"}) { accessToken user { id } } }`},
		{q: `mutation($i: RegisterInput!) { ...M x: logout } fragment M on Mutation { register(input: $i) { user { id } } refresh { accessToken } }`,
			vars: map[string]any{"i": map[string]any{"email": "a@example.com", "password": "password-123"}}},
		{q: `mutation { changePassword(currentPassword: "a", newPassword: "b") }`},
	}
	for _, d := range docs {
		doc := mustParse(t, d.q)
		if errs := validator.Validate(es.Schema(), doc); errs != nil {
			t.Fatalf("%s: %v", d.q, errs)
		}
		op := doc.Operations[0]
		vars, err := validator.VariableValues(es.Schema(), op, d.vars)
		if err != nil {
			t.Fatalf("%s: %v", d.q, err)
		}
		got := newMeasurer(context.Background(), es, vars).set(op.SelectionSet)
		withoutIntrospection := *op
		withoutIntrospection.SelectionSet = nil
		for _, sel := range op.SelectionSet {
			if f, ok := sel.(*ast.Field); !ok || (f.Name != "__schema" && f.Name != "__type") {
				withoutIntrospection.SelectionSet = append(withoutIntrospection.SelectionSet, sel)
			}
		}
		want := shape{complexity: complexity.Calculate(context.Background(), es, &withoutIntrospection, vars)}
		var w pathWalker
		w.walk(op.SelectionSet, 1, op.Operation == ast.Mutation, false)
		want.depth, want.aliases, want.credentialOps = w.depth, w.aliases, w.credentialOps
		if got != want {
			t.Errorf("%s:\n got %+v\nwant %+v", d.q, got, want)
		}
	}
}

// Counts of every path saturate instead of being enumerated or overflowing.
func TestShapeSaturates(t *testing.T) {
	es := NewExecutableSchema(Config{Resolvers: &Resolver{}})
	var b strings.Builder
	b.WriteString("{ ...F0 }")
	for i := range 200 {
		b.WriteString(" fragment F" + strconv.Itoa(i) + " on Query { ...F" + strconv.Itoa(i+1) + " ...F" + strconv.Itoa(i+1) + " }")
	}
	b.WriteString(" fragment F200 on Query { a: __typename }")
	doc := mustParse(t, b.String())
	if errs := validator.Validate(es.Schema(), doc); errs != nil {
		t.Fatal(errs)
	}
	s := newMeasurer(context.Background(), es, nil).set(doc.Operations[0].SelectionSet)
	if s.complexity != unbounded || s.aliases != unbounded || s.depth != 1 {
		t.Fatalf("2^200 paths measured as %+v", s)
	}
	e := limitError(auth.CodeTooManyAliases, "aliases", s.aliases, 30)
	if !strings.Contains(e.Message, "more than") {
		t.Fatalf("saturated count shown as %q", e.Message)
	}
}

func TestCountNodes(t *testing.T) {
	for q, want := range map[string]int{
		`{ __typename }`: 1,
		`query($a: Int = 1, $b: [Int] = [1, 2]) @x { f(a: $a, o: {k: [1, {j: 2}]}) @skip(if: true) { g ... on T { h } ...F } } fragment F on T @y { i }`: 2 + // variables
			1 + 3 + // default values
			1 + // @x
			1 + 2 + 6 + // f, its arguments and their values
			1 + 2 + // @skip(if: true)
			1 + 1 + 1 + 1 + // g, inline fragment, h, ...F
			1 + 1, // @y, i
	} {
		if got := countNodes(mustParse(t, q)); got != want {
			t.Errorf("%s: %d nodes, want %d", q, got, want)
		}
	}
}

func mustParse(t *testing.T, q string) *ast.QueryDocument {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: q})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// pathWalker is the measurement the limits had before: every path through
// fragments walked. Exponential in fragment nesting; a reference here.
// Below __schema and __type it counts no depth.
type pathWalker struct{ depth, aliases, credentialOps int }

func (w *pathWalker) walk(set ast.SelectionSet, depth int, root, introspection bool) {
	if len(set) > 0 && depth > w.depth && !introspection {
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
			in := introspection || s.Name == "__schema" || s.Name == "__type"
			w.walk(s.SelectionSet, depth+1, false, in)
		case *ast.InlineFragment:
			w.walk(s.SelectionSet, depth, root, introspection)
		case *ast.FragmentSpread:
			w.walk(s.Definition.SelectionSet, depth, root, introspection)
		}
	}
}
