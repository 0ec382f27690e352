package auth

// Code classifies an error for clients. It is sent as extensions.code and is
// part of the API contract: clients branch on it, never on messages.
type Code string

// Every code a client can see, wherever it is answered: this is the one
// list (the README's error table is checked against Codes by a test).
const (
	// From the use cases.
	CodeUnauthenticated    Code = "UNAUTHENTICATED"
	CodeForbidden          Code = "FORBIDDEN"
	CodeFreshTokenRequired Code = "FRESH_TOKEN_REQUIRED"
	CodeInvalidCredentials Code = "INVALID_CREDENTIALS"
	CodeEmailTaken         Code = "EMAIL_TAKEN"
	CodeAccountDisabled    Code = "ACCOUNT_DISABLED"
	CodeEmailNotVerified   Code = "EMAIL_NOT_VERIFIED"
	CodeBadUserInput       Code = "BAD_USER_INPUT"
	CodeRateLimited        Code = "RATE_LIMITED"
	CodeInternal           Code = "INTERNAL_SERVER_ERROR"
	CodeUnavailable        Code = "SERVICE_UNAVAILABLE"
	// CodeTooManySockets refuses a websocket over the per-user or total
	// cap; it is the reason of the close code 4429.
	CodeTooManySockets Code = "TOO_MANY_SOCKETS"
	// The caller's token lacks a second factor (aal2) that the field, or
	// REQUIRE_ADMIN_MFA, demands; the caller has one to log in with.
	CodeMfaRequired Code = "MFA_REQUIRED"
	// As MFA_REQUIRED, for a caller who has no second factor yet.
	CodeMfaEnrollmentRequired Code = "MFA_ENROLLMENT_REQUIRED"
	// A provider's sign-in whose email names an existing account that it
	// may not join by itself: sign in the usual way, then link.
	CodeIdentityLinkRequired Code = "IDENTITY_LINK_REQUIRED"

	// From the GraphQL layer, before or around execution.
	CodeQueryTooLarge           Code = "QUERY_TOO_LARGE"
	CodeQueryTooDeep            Code = "QUERY_TOO_DEEP"
	CodeTooManyAliases          Code = "TOO_MANY_ALIASES"
	CodeTooManyCredentialOps    Code = "TOO_MANY_CREDENTIAL_MUTATIONS"
	CodeComplexityLimitExceeded Code = "COMPLEXITY_LIMIT_EXCEEDED"
	CodeOperationTimeout        Code = "OPERATION_TIMEOUT"
	CodeIntrospectionDisabled   Code = "INTROSPECTION_DISABLED"

	// From gqlgen itself, passed through as it names them: a document
	// that does not parse, one that does not validate (or whose variables
	// do not coerce), and a persisted query's hash this server does not
	// know (the client then sends the query with it).
	CodeParseFailed          Code = "GRAPHQL_PARSE_FAILED"
	CodeValidationFailed     Code = "GRAPHQL_VALIDATION_FAILED"
	CodePersistedQueryMissed Code = "PERSISTED_QUERY_NOT_FOUND"

	// From the HTTP layer, before GraphQL sees the request.
	CodeRequestTooLarge      Code = "REQUEST_TOO_LARGE"
	CodeUnsupportedMediaType Code = "UNSUPPORTED_MEDIA_TYPE"
	CodeMethodNotAllowed     Code = "METHOD_NOT_ALLOWED"
	CodeBadRequest           Code = "BAD_REQUEST"
)

// Codes lists every code a client can see.
var Codes = []Code{
	CodeUnauthenticated, CodeForbidden, CodeFreshTokenRequired, CodeInvalidCredentials,
	CodeEmailTaken, CodeAccountDisabled, CodeEmailNotVerified, CodeBadUserInput, CodeRateLimited, CodeInternal,
	CodeUnavailable, CodeMfaRequired, CodeMfaEnrollmentRequired, CodeTooManySockets, CodeIdentityLinkRequired,
	CodeQueryTooLarge, CodeQueryTooDeep, CodeTooManyAliases, CodeTooManyCredentialOps, CodeComplexityLimitExceeded,
	CodeOperationTimeout, CodeIntrospectionDisabled,
	CodeParseFailed, CodeValidationFailed, CodePersistedQueryMissed,
	CodeRequestTooLarge, CodeUnsupportedMediaType, CodeMethodNotAllowed, CodeBadRequest,
}
