package graph

import (
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
)

// TestEveryGuardedFieldDeclaresItsEdgeDirective: a router enforces only
// what the schema declares, so every field the server guards carries the
// router's counterpart: @requiresScopes(admin) on an ADMIN field,
// @authenticated on any other field that needs a login. A field added
// without it fails here.
func TestEveryGuardedFieldDeclaresItsEdgeDirective(t *testing.T) {
	schema := NewExecutableSchema(Config{}).Schema()
	checked := 0
	for _, def := range schema.Types {
		if def.Kind != ast.Object {
			continue
		}
		for _, f := range def.Fields {
			has := func(name string) bool { return f.Directives.ForName(name) != nil }
			admin := false
			if d := f.Directives.ForName("hasRole"); d != nil {
				if a := d.Arguments.ForName("role"); a != nil && a.Value.Raw == "ADMIN" {
					admin = true
				}
			}
			switch {
			case admin:
				checked++
				d := f.Directives.ForName("requiresScopes")
				if d == nil || d.Arguments.ForName("scopes").Value.String() != `[["admin"]]` {
					t.Errorf("%s.%s is an ADMIN field without @requiresScopes(scopes: [[\"admin\"]])", def.Name, f.Name)
				}
			case has("auth") || has("fresh") || has("verified") || has("mfa") || has("hasRole"):
				checked++
				if !has("authenticated") {
					t.Errorf("%s.%s needs a login but lacks @authenticated", def.Name, f.Name)
				}
			}
		}
	}
	if checked < 20 {
		t.Fatalf("only %d guarded fields found: the schema was not read", checked)
	}
}
