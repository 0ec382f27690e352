package auth

import (
	"context"
	"time"
)

// Store is the persistence the auth service needs. The db package implements
// it for PostgreSQL and SQLite. Every method that changes more than one row
// is called inside Tx by the service, so the service decides what is atomic
// and the store only says how.
type Store interface {
	Queries
	// Tx runs fn in a transaction and commits when fn returns nil. The
	// Queries passed to fn see and write only through that transaction.
	Tx(ctx context.Context, fn func(q Queries) error) error
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Close releases the connection pool.
	Close() error
}

// Queries are the row-level operations, usable on the store or in a Tx.
type Queries interface {
	// CreateUser inserts u; it returns ErrDuplicateEmail when the email is taken.
	CreateUser(ctx context.Context, u *User) error
	// UserByID returns ErrNotFound when there is no such user.
	UserByID(ctx context.Context, id string) (*User, error)
	// UserByEmail looks up a normalized email; ErrNotFound when absent.
	UserByEmail(ctx context.Context, email string) (*User, error)
	// SetPasswordHash replaces a user's password hash.
	SetPasswordHash(ctx context.Context, userID, hash string, now time.Time) error
	// SetUserRole changes a user's role; ErrNotFound when there is no such user.
	SetUserRole(ctx context.Context, userID string, role Role, now time.Time) error

	// SetUserDisabled disables (at now) or enables a user; ErrNotFound when
	// there is no such user.
	SetUserDisabled(ctx context.Context, userID string, disabled bool, now time.Time) error
	// ListUsers returns one page of users in (created_at, id) order.
	ListUsers(ctx context.Context, page UserPage) ([]User, error)
	// ListAuditEvents returns one page of audit events, newest first.
	ListAuditEvents(ctx context.Context, page AuditPage) ([]AuditEvent, error)

	// CreateSession inserts s.
	CreateSession(ctx context.Context, s *Session) error
	// SessionForUpdate reads a session and, inside a Tx, locks it against
	// concurrent rotation until the Tx ends. ErrNotFound when absent.
	SessionForUpdate(ctx context.Context, id string) (*Session, error)
	// RotateSession is a refresh's fast path, one statement: when the
	// session is live, its current refresh jti is r.JTI and its user is
	// enabled, it moves the session to r.NewJTI and returns the user;
	// otherwise ErrNotFound and nothing changes.
	RotateSession(ctx context.Context, r SessionRotation) (*User, error)
	// UpdateSession writes back the rotation fields, last use and expiry of s.
	UpdateSession(ctx context.Context, s *Session) error
	// RevokeSession ends one session; ending an ended session is a no-op.
	RevokeSession(ctx context.Context, id string, now time.Time) error
	// RevokeUserSessions ends every active session of a user except keepID
	// (when not empty) and returns how many it ended.
	RevokeUserSessions(ctx context.Context, userID, keepID string, now time.Time) (int, error)

	// ActiveSessions lists a user's sessions that are neither revoked nor
	// expired at now, most recently used first.
	ActiveSessions(ctx context.Context, userID string, now time.Time) ([]Session, error)
	// RevokeUserSession ends one session of userID; it reports false when
	// the user has no such active session.
	RevokeUserSession(ctx context.Context, userID, sessionID string, now time.Time) (bool, error)

	// PublishSigningKey records k as the key in use (again, if it was
	// retired) and retires every other key at now.
	PublishSigningKey(ctx context.Context, k *PublishedKey, now time.Time) error
	// SigningKeys lists the keys in use or retired after retiredAfter.
	SigningKeys(ctx context.Context, retiredAfter time.Time) ([]PublishedKey, error)

	// RevokeToken puts a jti on the blocklist until expiresAt.
	RevokeToken(ctx context.Context, jti, userID string, expiresAt, now time.Time) error
	// TokenState reads, in one round trip, what decides whether an access
	// token is still good: its user, its session and its jti.
	TokenState(ctx context.Context, userID, sessionID, jti string, now time.Time) (*TokenState, error)

	// AddAuditEvent appends to the audit log.
	AddAuditEvent(ctx context.Context, e *AuditEvent) error
	// Stats computes the adminStats figures; the login counts cover events
	// since `since`.
	Stats(ctx context.Context, now, since time.Time) (*Stats, error)

	// ThrottleHit counts an attempt against key in a fixed window and
	// returns the count so far and when the window ends.
	ThrottleHit(ctx context.Context, key string, window time.Duration, now time.Time) (int, time.Time, error)
	// ThrottleCount reads key's count in its current window (0 if none).
	ThrottleCount(ctx context.Context, key string, now time.Time) (int, time.Time, error)
	// ThrottleReset forgets key.
	ThrottleReset(ctx context.Context, key string) error

	// Prune deletes revocations, throttles and sessions that can no longer
	// matter at now, and audit events older than auditBefore (zero: keep
	// all), and returns how many rows it removed.
	Prune(ctx context.Context, now, auditBefore time.Time) (int64, error)

	// ChangedSince lists the users, ended sessions and revoked tokens
	// changed at or after since, for a cache's periodic resync.
	ChangedSince(ctx context.Context, since time.Time) ([]Change, error)

	// Setting returns a stored setting, creating it with create() when it
	// does not exist yet. Replicas starting at once agree on one value.
	Setting(ctx context.Context, key string, create func() (string, error)) (string, error)
}
