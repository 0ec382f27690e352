package graph

import (
	"testing"

	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/gqlauth/gqlauth/auth"
)

// TestGqlgenCodesInTheList: the codes gqlgen sets are the ones auth.Codes
// (and so the README) lists.
func TestGqlgenCodesInTheList(t *testing.T) {
	if string(auth.CodeParseFailed) != errcode.ParseFailed || string(auth.CodeValidationFailed) != errcode.ValidationFailed {
		t.Fatalf("gqlgen's codes are %s and %s", errcode.ParseFailed, errcode.ValidationFailed)
	}
}
