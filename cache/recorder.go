package cache

import (
	"context"
	"time"

	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/db"
)

// ChangeUserSessions is a local-only change: every session of a user
// (the ID) may have ended. Replicas hear the sessions one by one instead.
const ChangeUserSessions db.ChangeKind = 'S'

// recorder passes every query through and notes the cached rows each
// successful write may have changed.
type recorder struct {
	auth.Queries
	note func(db.Change)
}

func (r recorder) SetPasswordHash(ctx context.Context, userID, hash string, now time.Time) error {
	return r.then(r.Queries.SetPasswordHash(ctx, userID, hash, now), db.ChangeUser, userID)
}

func (r recorder) SetUserRole(ctx context.Context, userID string, role auth.Role, now time.Time) error {
	return r.then(r.Queries.SetUserRole(ctx, userID, role, now), db.ChangeUser, userID)
}

func (r recorder) SetUserDisabled(ctx context.Context, userID string, disabled bool, now time.Time) error {
	return r.then(r.Queries.SetUserDisabled(ctx, userID, disabled, now), db.ChangeUser, userID)
}

func (r recorder) SetEmailVerified(ctx context.Context, userID string, now time.Time) error {
	return r.then(r.Queries.SetEmailVerified(ctx, userID, now), db.ChangeUser, userID)
}

func (r recorder) SetEmail(ctx context.Context, userID, email string, now time.Time) error {
	return r.then(r.Queries.SetEmail(ctx, userID, email, now), db.ChangeUser, userID)
}

func (r recorder) SetUserClaims(ctx context.Context, userID string, claims auth.RawJSON, now time.Time) error {
	return r.then(r.Queries.SetUserClaims(ctx, userID, claims, now), db.ChangeUser, userID)
}

func (r recorder) RevokeSession(ctx context.Context, id string, now time.Time) error {
	return r.then(r.Queries.RevokeSession(ctx, id, now), db.ChangeSession, id)
}

func (r recorder) RevokeUserSession(ctx context.Context, userID, sessionID string, now time.Time) (bool, error) {
	ok, err := r.Queries.RevokeUserSession(ctx, userID, sessionID, now)
	return ok, r.then(err, db.ChangeSession, sessionID)
}

func (r recorder) RevokeUserSessions(ctx context.Context, userID, keepID string, now time.Time) (int, error) {
	n, err := r.Queries.RevokeUserSessions(ctx, userID, keepID, now)
	return n, r.then(err, ChangeUserSessions, userID)
}

func (r recorder) RevokeToken(ctx context.Context, jti, userID string, expiresAt, now time.Time) error {
	return r.then(r.Queries.RevokeToken(ctx, jti, userID, expiresAt, now), db.ChangeToken, jti)
}

func (r recorder) UpdateSession(ctx context.Context, s *auth.Session) error {
	err := r.Queries.UpdateSession(ctx, s)
	if s.RevokedAt != nil {
		return r.then(err, db.ChangeSession, s.ID)
	}
	return err
}

// then notes the change whether or not the write succeeded: a failure's
// effect is not always known, and forgetting is always safe.
func (r recorder) then(err error, kind db.ChangeKind, id string) error {
	r.note(db.Change{Kind: kind, ID: id})
	return err
}

// SetUserMfa changes what the admin step-up rule reads of the user.
func (r recorder) SetUserMfa(ctx context.Context, userID string, enabled bool, now time.Time) error {
	return r.then(r.Queries.SetUserMfa(ctx, userID, enabled, now), db.ChangeUser, userID)
}
