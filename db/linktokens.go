package db

import (
	"context"
	"fmt"
	"time"

	"github.com/gqlauth/gqlauth/auth"
)

const linkTokenCols = `token_hash, user_id, purpose, email, created_at, expires_at, used_at`

// CreateLinkToken stores a mailed link's token (its hash).
func (q queries) CreateLinkToken(ctx context.Context, t *auth.LinkToken) error {
	if _, err := q.exec(ctx, `INSERT INTO link_tokens (`+linkTokenCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		t.Hash, t.UserID, string(t.Purpose), t.Email, t.CreatedAt.UTC(), t.ExpiresAt.UTC(), utcPtr(t.UsedAt)); err != nil {
		return fmt.Errorf("db: create link token: %w", err)
	}
	return nil
}

// DeleteLinkTokens drops a user's unused tokens of purpose, or of every
// purpose when purpose is empty. Used tokens stay until pruned, so that a
// replayed link is told apart from an unknown one only as "invalid".
func (q queries) DeleteLinkTokens(ctx context.Context, userID string, purpose auth.LinkPurpose) error {
	query, args := `DELETE FROM link_tokens WHERE user_id = ? AND used_at IS NULL`, []any{userID}
	if purpose != "" {
		query += ` AND purpose = ?`
		args = append(args, string(purpose))
	}
	if _, err := q.exec(ctx, query, args...); err != nil {
		return fmt.Errorf("db: delete link tokens: %w", err)
	}
	return nil
}

// UseLinkToken spends a live token in one statement: of two racing uses,
// the second finds used_at set and gets ErrNotFound.
func (q queries) UseLinkToken(ctx context.Context, hash string, purpose auth.LinkPurpose, now time.Time) (*auth.LinkToken, error) {
	var t auth.LinkToken
	n := now.UTC()
	err := q.get(ctx, &t, `UPDATE link_tokens SET used_at = ?
		WHERE token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?
		RETURNING `+linkTokenCols, n, hash, string(purpose), n)
	if err != nil {
		return nil, notFound(err, "use link token")
	}
	return utcLinkToken(&t), nil
}

// LinkToken reads a token by its hash.
func (q queries) LinkToken(ctx context.Context, hash string) (*auth.LinkToken, error) {
	var t auth.LinkToken
	if err := q.get(ctx, &t, `SELECT `+linkTokenCols+` FROM link_tokens WHERE token_hash = ?`, hash); err != nil {
		return nil, notFound(err, "link token")
	}
	return utcLinkToken(&t), nil
}

func utcLinkToken(t *auth.LinkToken) *auth.LinkToken {
	t.CreatedAt, t.ExpiresAt, t.UsedAt = t.CreatedAt.UTC(), t.ExpiresAt.UTC(), utcPtr(t.UsedAt)
	return t
}
