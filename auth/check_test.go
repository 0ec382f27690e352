package auth_test

import (
	"errors"
	"testing"

	"github.com/gqlauth/gqlauth/auth"
)

// want describes the error a client must see; the zero value means success.
type want struct {
	Code   auth.Code
	Reason auth.Reason // UNAUTHENTICATED only
	Field  string      // BAD_USER_INPUT (and INVALID_CREDENTIALS on changePassword)
}

// Shorthands for the answers the tables expect most.
var (
	ok           = want{}
	missing      = want{Code: auth.CodeUnauthenticated, Reason: auth.ReasonTokenMissing}
	invalid      = want{Code: auth.CodeUnauthenticated, Reason: auth.ReasonTokenInvalid}
	expired      = want{Code: auth.CodeUnauthenticated, Reason: auth.ReasonTokenExpired}
	revoked      = want{Code: auth.CodeUnauthenticated, Reason: auth.ReasonTokenRevoked}
	reused       = want{Code: auth.CodeUnauthenticated, Reason: auth.ReasonTokenReused}
	forbidden    = want{Code: auth.CodeForbidden}
	notFresh     = want{Code: auth.CodeFreshTokenRequired}
	badCreds     = want{Code: auth.CodeInvalidCredentials}
	rateLimited  = want{Code: auth.CodeRateLimited}
	disabledAcct = want{Code: auth.CodeAccountDisabled}
)

// badInput is BAD_USER_INPUT naming field.
func badInput(field string) want { return want{Code: auth.CodeBadUserInput, Field: field} }

// check fails t unless err is what w describes. A failure that is not an
// *auth.Error would reach the client as INTERNAL_SERVER_ERROR, so it never
// matches.
func check(t *testing.T, what string, err error, w want) {
	t.Helper()
	if w == ok {
		if err != nil {
			t.Fatalf("%s: unexpected error %v", what, err)
		}
		return
	}
	var e *auth.Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: got %v, want %s %s %s", what, err, w.Code, w.Reason, w.Field)
	}
	if e.Code != w.Code || e.Reason != w.Reason || e.Field != w.Field {
		t.Fatalf("%s: got %s/%s field %q (%v), want %s/%s field %q", what, e.Code, e.Reason, e.Field, err, w.Code, w.Reason, w.Field)
	}
	if e.Code == auth.CodeRateLimited && e.RetryAfter < 1 {
		t.Fatalf("%s: RATE_LIMITED without retryAfter: %+v", what, e)
	}
}

// retryAfter is the seconds a RATE_LIMITED error asks the client to wait.
func retryAfter(t *testing.T, err error) int {
	t.Helper()
	var e *auth.Error
	if !errors.As(err, &e) || e.Code != auth.CodeRateLimited {
		t.Fatalf("want RATE_LIMITED, got %v", err)
	}
	return e.RetryAfter
}
