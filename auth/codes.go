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
	CodeBadUserInput       Code = "BAD_USER_INPUT"
	CodeRateLimited        Code = "RATE_LIMITED"
	CodeInternal           Code = "INTERNAL_SERVER_ERROR"
	CodeUnavailable        Code = "SERVICE_UNAVAILABLE"
	// CodeTooManySockets refuses a websocket over the per-user or total
	// cap; it is the reason of the close code 4429.
	CodeTooManySockets Code = "TOO_MANY_SOCKETS"

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
	CodeEmailTaken, CodeAccountDisabled, CodeBadUserInput, CodeRateLimited, CodeInternal,
	CodeUnavailable, CodeTooManySockets,
	CodeQueryTooLarge, CodeQueryTooDeep, CodeTooManyAliases, CodeTooManyCredentialOps, CodeComplexityLimitExceeded,
	CodeOperationTimeout, CodeIntrospectionDisabled,
	CodeParseFailed, CodeValidationFailed, CodePersistedQueryMissed,
	CodeRequestTooLarge, CodeUnsupportedMediaType, CodeMethodNotAllowed, CodeBadRequest,
}
