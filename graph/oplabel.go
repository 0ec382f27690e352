package graph

import (
	"github.com/vektah/gqlparser/v2/ast"
)

// Operation labels for metrics (and for the access log of anonymous
// operations). An operation's name is the client's to choose: used as a
// metric label, every made-up name would be a new time series kept until
// the process exits, a memory leak any anonymous client controls. So the
// label is the operation's name only when the operator listed it
// (METRICS_OPERATIONS); otherwise it is the root field the operation
// selects, which the schema bounds (and which says more about what ran
// than a name does), or "multiple" for several root fields.
const (
	// labelMultiple labels an unlisted operation with several root fields.
	labelMultiple = "multiple"
	// labelOther labels what has no better name (see metrics' cap).
	labelOther = "other"
)

// operationLabel names op for metrics: its name if listed in names, else
// its one root field, else labelMultiple. op has been validated, so every
// root field is one of the schema's.
func operationLabel(op *ast.OperationDefinition, names map[string]bool) string {
	if op == nil {
		return labelOther
	}
	if op.Name != "" && names[op.Name] {
		return op.Name
	}
	field := ""
	several := false
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				if field == "" {
					field = s.Name
				} else if s.Name != field {
					several = true
				}
			case *ast.InlineFragment:
				walk(s.SelectionSet)
			case *ast.FragmentSpread:
				if s.Definition != nil {
					walk(s.Definition.SelectionSet)
				}
			}
		}
	}
	walk(op.SelectionSet)
	switch {
	case several:
		return labelMultiple
	case field == "":
		return labelOther
	}
	return field
}
