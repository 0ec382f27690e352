package graph

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// withoutSuggestions drops the "Did you mean …?" that gqlparser's
// validation appends to a message. gqlgen's SetDisableSuggestion swaps
// out only the rules for fields and scalar leaves; unknown arguments,
// unknown input fields, enum values and type names still name their near
// misses, which lets a stranger map a schema kept hidden by turning
// introspection off. Every such message is built as the error's text plus
// " Did you mean …?", so cutting there removes them all, whichever rule
// (or future rule) wrote it.
func withoutSuggestions(present graphql.ErrorPresenterFunc) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gerr := present(ctx, err)
		if i := strings.Index(gerr.Message, " Did you mean "); i >= 0 {
			gerr.Message = gerr.Message[:i]
		}
		return gerr
	}
}
