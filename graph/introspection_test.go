package graph

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"
)

// recursiveSchema can nest without end, as this service's schema cannot
// (its deepest query outside introspection is 4 levels).
func recursiveSchema(t *testing.T) graphql.ExecutableSchema {
	t.Helper()
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: `type Query { node: Node } type Node { child: Node name: String }`})
	return &graphql.ExecutableSchemaMock{
		SchemaFunc:     func() *ast.Schema { return schema },
		ComplexityFunc: func(context.Context, string, string, int, map[string]any) (int, bool) { return 0, false },
	}
}

// shapeError runs the shape limits on q as the handler does, after validation.
func shapeError(t *testing.T, es graphql.ExecutableSchema, l Limits, q string) string {
	t.Helper()
	doc := mustParse(t, q)
	if errs := validator.Validate(es.Schema(), doc); errs != nil {
		t.Fatalf("%.60s: %v", q, errs)
	}
	oc := &graphql.OperationContext{Operation: doc.Operations[0], Doc: doc}
	if err := (shapeLimits{l, es}).MutateOperationContext(context.Background(), oc); err != nil {
		return err.Message
	}
	return ""
}

// nested is { node { child { … name } } }, depth selection sets deep.
func nested(depth int) string {
	return "node {" + strings.Repeat(" child {", depth-2) + " name" + strings.Repeat(" }", depth-1)
}

// The default depth limit is 12 and refuses a 13-deep query, also when the
// document introspects too: the exemption is for introspection's own
// selections, never for a document that has some.
func TestDepthLimitBesideIntrospection(t *testing.T) {
	es := recursiveSchema(t)
	if got := shapeError(t, es, DefaultLimits, "{ "+nested(12)+" }"); got != "" {
		t.Fatalf("12 deep refused: %s", got)
	}
	for _, q := range []string{
		"{ " + nested(13) + " }",
		"{ __schema { types { fields { type { ofType { ofType { ofType { name } } } } } } } " + nested(13) + " }",
		"{ ...F } fragment F on Query { __type(name: \"Node\") { name } " + nested(13) + " }",
	} {
		if got := shapeError(t, es, DefaultLimits, q); !strings.Contains(got, "query depth: 13 > 12") {
			t.Errorf("%.70s…: %q", q, got)
		}
	}
	// The standard introspection queries pass the tightest limits.
	files, _ := filepath.Glob("../testdata/introspection/*.graphql")
	if len(files) < 3 {
		t.Fatalf("introspection queries missing: %v", files)
	}
	for _, f := range files {
		q, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := shapeError(t, es, Limits{MaxDepth: 1, MaxAliases: 1, MaxComplexity: 1}, string(q)); got != "" {
			t.Errorf("%s: %s", f, got)
		}
	}
}

// Before validation, only the nodes that introspection alone can use are
// exempt: __schema and __type at an operation's root, fragments on
// introspection types.
func TestIntrospectionNodeCount(t *testing.T) {
	for q, want := range map[string]int{
		`{ __typename }`: 0,
		`{ __schema { types { name } } me { id } }`:                                                 3,
		`{ ... { __type(name: "X") { name } } }`:                                                    4, // the field, its argument and value, name
		`{ me { __schema { types { name } } } }`:                                                    0,
		`{ ...F } fragment F on __Type { name fields { name } } fragment G on Query { __typename }`: 3,
	} {
		if got := introspectionNodeCount(mustParse(t, q)); got != want {
			t.Errorf("%s: %d, want %d", q, got, want)
		}
	}
}
