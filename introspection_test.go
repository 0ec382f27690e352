package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// standardIntrospection reads the introspection queries that graphql-js
// (getIntrospectionQuery() with its defaults), GraphiQL and
// graphql-codegen (every option on) send, as graphql-js writes them
// (e2e/lib/introspection.mjs writes them; e2e checks they are current).
func standardIntrospection(t *testing.T) map[string]string {
	t.Helper()
	files, _ := filepath.Glob("testdata/introspection/*.graphql")
	if len(files) < 3 {
		t.Fatalf("introspection queries missing: %v", files)
	}
	out := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = string(b)
	}
	return out
}

// wantSchema checks that an introspection answer describes the schema a
// client needs: Query.me among the types.
func wantSchema(t *testing.T, name string, r *gqlResponse) {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("%s refused: %+v", name, r.Errors)
	}
	types, _ := r.Data["__schema"].(map[string]any)["types"].([]any)
	for _, typ := range types {
		typ, _ := typ.(map[string]any)
		if typ["name"] != "Query" {
			continue
		}
		fields, _ := typ["fields"].([]any)
		for _, f := range fields {
			if f.(map[string]any)["name"] == "me" {
				return
			}
		}
	}
	t.Fatalf("%s: no Query.me in %d types", name, len(types))
}

// The standard introspection queries are 15 selection sets deep; the
// default QUERY_MAX_DEPTH is 12. Introspection passes the limits on its
// own terms, and even much tighter limits do not refuse it, while they
// still refuse everything else.
func TestStandardIntrospectionPassesLimits(t *testing.T) {
	queries := standardIntrospection(t)
	s := startServer(t, testEnv(sqliteURL(t), nil))
	for name, q := range queries {
		wantSchema(t, name, s.do(t, "", q, nil))
	}

	tight := startServer(t, testEnv(sqliteURL(t), map[string]string{
		"QUERY_MAX_DEPTH": "3", "QUERY_MAX_COMPLEXITY": "100", "QUERY_MAX_ALIASES": "1", "QUERY_MAX_NODES": "50",
	}))
	for name, q := range queries {
		wantSchema(t, name, tight.do(t, "", q, nil))
	}
	// The limits hold for every other selection, in the same document or not.
	e := wantErr(t, tight.do(t, "", `{ users { edges { node { id } } } }`, nil), "QUERY_TOO_DEEP", "")
	if e.Extensions["limit"] != float64(3) {
		t.Fatalf("limit = %v", e.Extensions["limit"])
	}
	wantErr(t, tight.do(t, "", `{ __schema { queryType { name } } users { edges { node { id } } } }`, nil), "QUERY_TOO_DEEP", "")
	wantErr(t, tight.do(t, "", `{ __schema { queryType { name } } a: me { id } b: me { id } }`, nil), "TOO_MANY_ALIASES", "")
	wantErr(t, tight.do(t, "", `mutation { login(input: {email: "a@example.com", password: "p"}) { accessToken user { id } } }`, nil),
		"COMPLEXITY_LIMIT_EXCEEDED", "")
	// Nodes: the rest of the document keeps QUERY_MAX_NODES (51 __typename)…
	e = wantErr(t, tight.do(t, "", "{ __schema { queryType { name } } "+strings.Repeat("__typename ", 51)+"}", nil), "QUERY_TOO_LARGE", "")
	if e.Extensions["limit"] != float64(50) {
		t.Fatalf("limit = %v", e.Extensions["limit"])
	}
	// …and the whole document stays within 150 nodes: validation costs no
	// more than a default budget allows.
	e = wantErr(t, tight.do(t, "", "{ __schema { types { "+strings.Repeat("name ", 150)+"} } }", nil), "QUERY_TOO_LARGE", "")
	if e.Extensions["limit"] != float64(150) {
		t.Fatalf("limit = %v", e.Extensions["limit"])
	}
}

// Within introspection, what multiplies the answer is a cycle through
// type members (fields → type → fields …): each turn multiplies it by the
// fields of a type. Exempt from depth, introspection relies on gqlparser's
// MaxIntrospectionDepth rule (graphql-js's MaxIntrospectionDepthRule): at
// most two of fields, inputFields, interfaces and possibleTypes nest on
// one path, through fragments and __type as well. This guards that the
// rule stays on (a gqlparser upgrade, a custom rule set).
func TestAttackIntrospectionCycles(t *testing.T) {
	s := startServer(t, testEnv(sqliteURL(t), nil))
	for _, q := range []string{
		`{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }`,
		`{ __type(name: "Query") { fields { type { ofType { ofType { fields { type { ofType { interfaces { name } } } } } } } } } }`,
		`{ __schema { types { ...F } } } fragment F on __Type { possibleTypes { ...G } } fragment G on __Type { interfaces { ...H } } fragment H on __Type { inputFields { name } }`,
	} {
		e := wantErr(t, s.do(t, "", q, nil), "GRAPHQL_VALIDATION_FAILED", "")
		if e.Message != "Maximum introspection depth exceeded" {
			t.Fatalf("%s: %q", q, e.Message)
		}
	}
	// Two nested lists pass: a type's fields and their types' fields.
	r := s.do(t, "", `{ __type(name: "Query") { fields { type { ofType { fields { name } } } } } }`, nil)
	if _, ok := ok(t, r)["__type"].(map[string]any); !ok {
		t.Fatalf("no __type in %+v", r.Data)
	}
}
