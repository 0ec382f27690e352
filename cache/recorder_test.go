package cache

import (
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"strings"
	"testing"

	"github.com/gqlauth/gqlauth/auth"
)

// TestRecorderNotesEveryUserWrite: each in-transaction write that can
// change a cached user, session or token (Set*, Revoke*) is declared on
// the recorder, not merely passed through, so that this replica evicts
// what it changed. A new such Queries method fails here until it is.
func TestRecorderNotesEveryUserWrite(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "recorder.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string]bool{}
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv != nil {
			declared[fn.Name.Name] = true
		}
	}
	q := reflect.TypeOf((*auth.Queries)(nil)).Elem()
	for i := range q.NumMethod() {
		name := q.Method(i).Name
		if (strings.HasPrefix(name, "Set") || strings.HasPrefix(name, "Revoke")) && !declared[name] {
			t.Errorf("Queries.%s changes cached state but the recorder does not note it", name)
		}
	}
}
