package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/gqlauth/gqlauth/auth"
)

// RevokeToken blocklists a jti until it would have expired anyway.
func (q queries) RevokeToken(ctx context.Context, jti, userID string, expiresAt, now time.Time) error {
	_, err := q.exec(ctx, `INSERT INTO revoked_tokens (jti, user_id, expires_at, revoked_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (jti) DO NOTHING`, jti, userID, expiresAt.UTC(), now.UTC())
	if err != nil {
		return fmt.Errorf("db: revoke token: %w", err)
	}
	return nil
}

// tokenStateRow is the one-row answer of TokenState.
type tokenStateRow struct {
	auth.User
	SessionEnded bool `db:"session_ended"`
	TokenRevoked bool `db:"token_revoked"`
}

// TokenState reads the user, the session and the blocklist in one round
// trip: it runs on every authenticated request.
func (q queries) TokenState(ctx context.Context, userID, sessionID, jti string, now time.Time) (*auth.TokenState, error) {
	var r tokenStateRow
	n := now.UTC()
	err := q.get(ctx, &r, `SELECT `+prefixed("u.", userCols)+`,
		NOT EXISTS (SELECT 1 FROM sessions s WHERE s.id = ? AND s.user_id = u.id AND s.revoked_at IS NULL AND s.expires_at > ?) AS session_ended,
		EXISTS (SELECT 1 FROM revoked_tokens r WHERE r.jti = ? AND r.expires_at > ?) AS token_revoked
		FROM users u WHERE u.id = ?`, sessionID, n, jti, n, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return &auth.TokenState{SessionEnded: true}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("db: token state: %w", err)
	}
	return &auth.TokenState{User: utcUser(&r.User), SessionEnded: r.SessionEnded, TokenRevoked: r.TokenRevoked}, nil
}
