package auth

import (
	"errors"
	"fmt"
)

// Reason refines CodeUnauthenticated so that a client can tell an expired
// token (refresh and retry) from every other failure (log in again). A
// mailed link's token that fails is BAD_USER_INPUT on field "token" with
// ReasonTokenExpired (ask for a new link) or ReasonTokenInvalid.
type Reason string

// The reasons an UNAUTHENTICATED error can carry.
const (
	ReasonTokenMissing Reason = "TOKEN_MISSING"
	ReasonTokenInvalid Reason = "TOKEN_INVALID"
	ReasonTokenExpired Reason = "TOKEN_EXPIRED"
	ReasonTokenRevoked Reason = "TOKEN_REVOKED"
	ReasonTokenReused  Reason = "TOKEN_REUSED"
	// ReasonCSRFFailed: a token came in a cookie without the matching
	// X-CSRF-Token header, as a cross-site request would.
	ReasonCSRFFailed Reason = "CSRF_FAILED"
)

// The reasons of a passkey that does not work: BAD_USER_INPUT on field
// "credential" (see CredentialError). Each names the check that failed,
// so that a client (or its developer) can tell a stale page from a
// misconfigured origin from an authenticator to distrust.
const (
	// ReasonChallengeExpired: the ceremony began more than five minutes
	// ago; begin again.
	ReasonChallengeExpired Reason = "CHALLENGE_EXPIRED"
	// ReasonChallengeInvalid: the challengeId is unknown, used already,
	// of another ceremony (registration, login) or another account's.
	ReasonChallengeInvalid Reason = "CHALLENGE_INVALID"
	// ReasonChallengeMismatch: the credential signed another challenge
	// than the challengeId's (a replayed assertion).
	ReasonChallengeMismatch Reason = "CHALLENGE_MISMATCH"
	// ReasonOriginMismatch: the page that asked the authenticator is not
	// one of WEBAUTHN_ORIGINS.
	ReasonOriginMismatch Reason = "ORIGIN_MISMATCH"
	// ReasonRPIDMismatch: the credential is scoped to another relying
	// party than WEBAUTHN_RP_ID.
	ReasonRPIDMismatch Reason = "RP_ID_MISMATCH"
	// ReasonSignatureInvalid: the assertion's signature does not verify
	// with the passkey's public key.
	ReasonSignatureInvalid Reason = "SIGNATURE_INVALID"
	// ReasonUserVerificationRequired: the authenticator did not verify
	// the user (PIN, biometrics), which a passkey login requires.
	ReasonUserVerificationRequired Reason = "USER_VERIFICATION_REQUIRED"
	// ReasonCounterRegressed: the authenticator's signature counter did
	// not move past the last one seen: a cloned authenticator, refused
	// and audited.
	ReasonCounterRegressed Reason = "COUNTER_REGRESSED"
	// ReasonCredentialUnknown: no passkey is registered with this
	// credential id (or not for the account being logged in).
	ReasonCredentialUnknown Reason = "CREDENTIAL_UNKNOWN"
	// ReasonCredentialInvalid: not a PublicKeyCredential's JSON of the
	// expected ceremony, an unsupported key, a failed attestation, or a
	// credential registered already.
	ReasonCredentialInvalid Reason = "CREDENTIAL_INVALID"
)

// Error is the one error type that crosses the service boundary. Message is
// safe to show to a client; Err is the internal cause, which is logged and
// never shown.
type Error struct {
	Code   Code
	Reason Reason // with CodeUnauthenticated, or CodeBadUserInput for a link token or a passkey credential
	Field  string // the offending input, set only with CodeBadUserInput
	// RetryAfter is the seconds to wait, set only with CodeRateLimited.
	RetryAfter int
	Message    string
	Err        error
}

// Error is for logs, not clients: it includes the internal cause, which
// the error presenter never shows.
func (e *Error) Error() string {
	msg := string(e.Code)
	if e.Reason != "" {
		msg += "/" + string(e.Reason)
	}
	msg += ": " + e.Message
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap exposes the internal cause to errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.Err }

// ErrorCode returns the client-facing code of err: its own when err is (or
// wraps) an *Error, CodeInternal otherwise.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorReason returns the reason of an UNAUTHENTICATED error, or "".
func ErrorReason(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

// Unauthenticated builds an UNAUTHENTICATED error for reason.
func Unauthenticated(reason Reason) *Error {
	msgs := map[Reason]string{
		ReasonTokenMissing: "authentication required",
		ReasonTokenInvalid: "invalid token",
		ReasonTokenExpired: "token has expired",
		ReasonTokenRevoked: "token has been revoked",
		ReasonTokenReused:  "refresh token reuse detected; the session has been ended",
		ReasonCSRFFailed:   "missing or wrong CSRF token: send the CSRF cookie's value in the X-CSRF-Token header",
	}
	return &Error{Code: CodeUnauthenticated, Reason: reason, Message: msgs[reason]}
}

// BadInput builds a BAD_USER_INPUT error naming the offending field.
func BadInput(field, format string, args ...any) *Error {
	return &Error{Code: CodeBadUserInput, Field: field, Message: fmt.Sprintf(format, args...)}
}

// CredentialError builds the BAD_USER_INPUT error of a WebAuthn credential
// that failed the check named by reason.
func CredentialError(reason Reason, format string, args ...any) *Error {
	return &Error{Code: CodeBadUserInput, Field: "credential", Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// Internal wraps an unexpected failure. Its message is generic on purpose.
// A failure to reach the database or the hash worker is SERVICE_UNAVAILABLE instead, so that
// clients retry rather than give up.
func Internal(err error) *Error {
	if errors.Is(err, ErrUnavailable) {
		return &Error{Code: CodeUnavailable, Message: "the service is temporarily unavailable; try again shortly", RetryAfter: 1, Err: err}
	}
	return &Error{Code: CodeInternal, Message: "internal server error", Err: err}
}

var (
	errForbidden          = &Error{Code: CodeForbidden, Message: "you do not have permission to do this"}
	errFreshTokenRequired = &Error{Code: CodeFreshTokenRequired, Message: "this operation requires a fresh token; log in again"}
	errInvalidCredentials = &Error{Code: CodeInvalidCredentials, Message: "invalid email or password"}
	errEmailTaken         = &Error{Code: CodeEmailTaken, Message: "an account with this email already exists"}
	errAccountDisabled    = &Error{Code: CodeAccountDisabled, Message: "this account is disabled"}
	errLoginNotVerified   = &Error{Code: CodeEmailNotVerified, Message: "verify your email address first: a new link is on its way to it"}
	errEmailNotVerified   = &Error{Code: CodeEmailNotVerified, Message: "verify your email address first: follow the link mailed to it (sendVerificationEmail sends a new one)"}

	errMfaRequired           = &Error{Code: CodeMfaRequired, Message: "this operation requires a login with your second factor"}
	errMfaRequiredNoFactor   = &Error{Code: CodeMfaRequired, Message: "this operation requires a login with a second factor: sign in with a passkey, or enroll an authenticator app (enrollTotp) and log in with it"}
	errMfaEnrollmentRequired = &Error{Code: CodeMfaEnrollmentRequired, Message: "this operation requires a second factor: enroll an authenticator app (enrollTotp) or add a passkey, then log in with it"}
)

// Sentinel errors that stores return so the service can translate them.
var (
	// ErrNotFound reports that a row does not exist.
	ErrNotFound = errors.New("not found")
	// ErrDuplicateEmail reports a unique violation on the users' email.
	ErrDuplicateEmail = errors.New("duplicate email")
	// ErrDuplicateCredential reports a passkey whose credential id is
	// registered already.
	ErrDuplicateCredential = errors.New("duplicate credential")
	// ErrUnavailable marks a failure to reach the database (down,
	// restarting, refusing connections) or the password hash worker (died,
	// being restarted): worth retrying, not a bug.
	ErrUnavailable = errors.New("dependency unavailable")
)
