package db

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gqlauth/gqlauth/auth"
)

const sessionCols = `id, user_id, refresh_jti, prev_refresh_jti, rotated_at, created_at, last_used_at, expires_at, revoked_at, user_agent, ip`

// CreateSession inserts s.
func (q queries) CreateSession(ctx context.Context, s *auth.Session) error {
	_, err := q.exec(ctx, `INSERT INTO sessions (`+sessionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.ID, s.UserID, s.RefreshJTI, s.PrevRefreshJTI, utcPtr(s.RotatedAt), s.CreatedAt.UTC(), s.LastUsedAt.UTC(),
		s.ExpiresAt.UTC(), utcPtr(s.RevokedAt), s.UserAgent, s.IP)
	if err != nil {
		return fmt.Errorf("db: create session: %w", err)
	}
	return nil
}

// SessionForUpdate reads a session, locking its row inside a transaction.
func (q queries) SessionForUpdate(ctx context.Context, id string) (*auth.Session, error) {
	var s auth.Session
	if err := q.get(ctx, &s, `SELECT `+sessionCols+` FROM sessions WHERE id = ?`+q.forUpdate(), id); err != nil {
		return nil, notFound(err, "session")
	}
	s.RotatedAt, s.RevokedAt = utcPtr(s.RotatedAt), utcPtr(s.RevokedAt)
	s.CreatedAt, s.LastUsedAt, s.ExpiresAt = s.CreatedAt.UTC(), s.LastUsedAt.UTC(), s.ExpiresAt.UTC()
	return &s, nil
}

// UpdateSession writes back rotation state, last use, expiry and revocation.
func (q queries) UpdateSession(ctx context.Context, s *auth.Session) error {
	return q.updateOne(ctx, "update session",
		`UPDATE sessions SET refresh_jti = ?, prev_refresh_jti = ?, rotated_at = ?, last_used_at = ?, expires_at = ?, revoked_at = ? WHERE id = ?`,
		s.RefreshJTI, s.PrevRefreshJTI, utcPtr(s.RotatedAt), s.LastUsedAt.UTC(), s.ExpiresAt.UTC(), utcPtr(s.RevokedAt), s.ID)
}

// RevokeSession ends one session; ending an ended one changes nothing.
func (q queries) RevokeSession(ctx context.Context, id string, now time.Time) error {
	if _, err := q.exec(ctx, `UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, now.UTC(), id); err != nil {
		return fmt.Errorf("db: revoke session: %w", err)
	}
	return nil
}

// RevokeUserSessions ends every active session of a user but keepID.
func (q queries) RevokeUserSessions(ctx context.Context, userID, keepID string, now time.Time) (int, error) {
	res, err := q.exec(ctx, `UPDATE sessions SET revoked_at = ?
		WHERE user_id = ? AND id <> ? AND revoked_at IS NULL AND expires_at > ?`, now.UTC(), userID, keepID, now.UTC())
	if err != nil {
		return 0, fmt.Errorf("db: revoke user sessions: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// ActiveSessions lists a user's live sessions, most recently used first,
// through sessions_user_last_used_idx.
func (q queries) ActiveSessions(ctx context.Context, userID string, now time.Time) ([]auth.Session, error) {
	var ss []auth.Session
	if err := q.selectAll(ctx, &ss, `SELECT `+sessionCols+` FROM sessions
		WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?
		ORDER BY last_used_at DESC, id`, userID, now.UTC()); err != nil {
		return nil, fmt.Errorf("db: active sessions: %w", err)
	}
	for i := range ss {
		s := &ss[i]
		s.RotatedAt, s.RevokedAt = utcPtr(s.RotatedAt), utcPtr(s.RevokedAt)
		s.CreatedAt, s.LastUsedAt, s.ExpiresAt = s.CreatedAt.UTC(), s.LastUsedAt.UTC(), s.ExpiresAt.UTC()
	}
	return ss, nil
}

// RevokeUserSession ends a session only if userID owns it and it is live,
// so one user can never end, or learn of, another's session.
func (q queries) RevokeUserSession(ctx context.Context, userID, sessionID string, now time.Time) (bool, error) {
	res, err := q.exec(ctx, `UPDATE sessions SET revoked_at = ?
		WHERE id = ? AND user_id = ? AND revoked_at IS NULL AND expires_at > ?`, now.UTC(), sessionID, userID, now.UTC())
	if err != nil {
		return false, fmt.Errorf("db: revoke user session: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// rotateWhere is the condition of a refresh's fast path: the presented jti
// is current, the session live, its user enabled.
const rotateWhere = `id = ? AND user_id = ? AND refresh_jti = ? AND revoked_at IS NULL AND expires_at > ?
	AND EXISTS (SELECT 1 FROM users WHERE users.id = sessions.user_id AND users.disabled_at IS NULL)`

// RotateSession rotates a session's refresh token in one statement. On
// PostgreSQL the update and the user's row come back in one round trip
// (a data-modifying CTE); its row lock makes a racing refresh of the same
// token wait, re-check, and fall to the slow path. SQLite, in process,
// takes two statements.
func (q queries) RotateSession(ctx context.Context, r auth.SessionRotation) (*auth.User, error) {
	now := r.Now.UTC()
	args := []any{now, r.NewJTI, now, r.ExpiresAt.UTC(), r.SessionID, r.UserID, r.JTI, now}
	const set = `UPDATE sessions SET prev_refresh_jti = refresh_jti, rotated_at = ?, refresh_jti = ?, last_used_at = ?, expires_at = ?
		WHERE ` + rotateWhere
	var u auth.User
	if q.dialect == Postgres {
		err := q.get(ctx, &u, `WITH s AS (`+set+` RETURNING user_id)
			SELECT `+prefixed("u.", userCols)+` FROM users u JOIN s ON u.id = s.user_id`, args...)
		if err != nil {
			return nil, notFound(err, "rotate session")
		}
		return utcUser(&u), nil
	}
	res, err := q.exec(ctx, set, args...)
	if err != nil {
		return nil, fmt.Errorf("db: rotate session: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return nil, errNotFound
	}
	return q.UserByID(ctx, r.UserID)
}

// prefixed qualifies each of a comma-separated column list.
func prefixed(p, cols string) string {
	parts := strings.Split(cols, ", ")
	for i := range parts {
		parts[i] = p + parts[i]
	}
	return strings.Join(parts, ", ")
}
