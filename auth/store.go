package auth

import (
	"context"
	"time"
)

// Queries are the row-level writes (and the reads they depend on) that use
// cases make inside a transaction: the argument of txRunner.Tx. Reads made
// outside transactions are declared by each use case's own store interface.
type Queries interface {
	// CreateUser inserts u; it returns ErrDuplicateEmail when the email is taken.
	CreateUser(ctx context.Context, u *User) error
	// UserByID returns ErrNotFound when there is no such user.
	UserByID(ctx context.Context, id string) (*User, error)
	// UserForUpdate reads a user and locks the row against concurrent
	// changes until the Tx ends; ErrNotFound when there is no such user.
	UserForUpdate(ctx context.Context, id string) (*User, error)
	// SetPasswordHash replaces a user's password hash.
	SetPasswordHash(ctx context.Context, userID, hash string, now time.Time) error
	// SetUserRole changes a user's role; ErrNotFound when there is no such user.
	SetUserRole(ctx context.Context, userID string, role Role, now time.Time) error
	// SetUserDisabled disables (at now) or enables a user; ErrNotFound when
	// there is no such user.
	SetUserDisabled(ctx context.Context, userID string, disabled bool, now time.Time) error

	// CreateSession inserts s.
	CreateSession(ctx context.Context, s *Session) error
	// SessionForUpdate reads a session and, inside a Tx, locks it against
	// concurrent rotation until the Tx ends. ErrNotFound when absent.
	SessionForUpdate(ctx context.Context, id string) (*Session, error)
	// UpdateSession writes back the rotation fields, last use and expiry of s.
	UpdateSession(ctx context.Context, s *Session) error
	// RevokeSession ends one session; ending an ended session is a no-op.
	RevokeSession(ctx context.Context, id string, now time.Time) error
	// RevokeUserSessions ends every active session of a user except keepID
	// (when not empty) and returns how many it ended.
	RevokeUserSessions(ctx context.Context, userID, keepID string, now time.Time) (int, error)
	// RevokeUserSession ends one session of userID; it reports false when
	// the user has no such active session.
	RevokeUserSession(ctx context.Context, userID, sessionID string, now time.Time) (bool, error)
	// RevokeToken puts a jti on the blocklist until expiresAt.
	RevokeToken(ctx context.Context, jti, userID string, expiresAt, now time.Time) error

	// PublishSigningKey records k as the key in use (again, if it was
	// retired) and retires every other key at now.
	PublishSigningKey(ctx context.Context, k *PublishedKey, now time.Time) error

	// AddAuditEvent appends to the audit log.
	AddAuditEvent(ctx context.Context, e *AuditEvent) error
	// ThrottleReset forgets a throttle counter.
	ThrottleReset(ctx context.Context, key string) error

	// SetEmailVerified marks a user's address verified (keeping the first
	// time); ErrNotFound when there is no such user.
	SetEmailVerified(ctx context.Context, userID string, now time.Time) error
	// SetEmail switches a user to a new address, verified at now;
	// ErrDuplicateEmail when another account holds it.
	SetEmail(ctx context.Context, userID, email string, now time.Time) error

	// SetUserClaims replaces a user's custom claims (nil clears them);
	// ErrNotFound when there is no such user.
	SetUserClaims(ctx context.Context, userID string, claims RawJSON, now time.Time) error

	// CreateLinkToken stores a mailed link's token.
	CreateLinkToken(ctx context.Context, t *LinkToken) error
	// DeleteLinkTokens drops a user's unused tokens of purpose (of every
	// purpose when purpose is empty).
	DeleteLinkTokens(ctx context.Context, userID string, purpose LinkPurpose) error
	// UseLinkToken marks the unused, unexpired token with hash and purpose
	// used at now, atomically, and returns it; ErrNotFound when there is
	// no such usable token.
	UseLinkToken(ctx context.Context, hash string, purpose LinkPurpose, now time.Time) (*LinkToken, error)
	// LinkToken reads a token by its hash; ErrNotFound when absent.
	LinkToken(ctx context.Context, hash string) (*LinkToken, error)

	// EnqueueMail puts m in the outbox, due at now; it commits or rolls
	// back with the rest of the transaction.
	EnqueueMail(ctx context.Context, m *Mail, now time.Time) error

	// The second factor's writes (see Mfa).
	mfaQueries
	// Passkeys' writes (see Passkeys).
	passkeyQueries
	// Sign-in with providers: flows and identities (see Oidc).
	oidcQueries
}
