package db

import (
	"context"
	"fmt"
	"time"

	"github.com/gqlauth/gqlauth/auth"
)

var errNotFound = auth.ErrNotFound

const userCols = `id, email, password_hash, role, created_at, updated_at`

// CreateUser inserts u.
func (q queries) CreateUser(ctx context.Context, u *auth.User) error {
	_, err := q.exec(ctx, `INSERT INTO users (`+userCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
		u.ID, u.Email, u.PasswordHash, string(u.Role), u.CreatedAt.UTC(), u.UpdatedAt.UTC())
	if isUniqueViolation(err) {
		return auth.ErrDuplicateEmail
	}
	if err != nil {
		return fmt.Errorf("db: create user: %w", err)
	}
	return nil
}

// UserByID looks a user up by id.
func (q queries) UserByID(ctx context.Context, id string) (*auth.User, error) {
	var u auth.User
	if err := q.get(ctx, &u, `SELECT `+userCols+` FROM users WHERE id = ?`, id); err != nil {
		return nil, notFound(err, "user by id")
	}
	return utcUser(&u), nil
}

// UserByEmail looks a user up by normalized email, through the lower(email)
// index.
func (q queries) UserByEmail(ctx context.Context, email string) (*auth.User, error) {
	var u auth.User
	if err := q.get(ctx, &u, `SELECT `+userCols+` FROM users WHERE lower(email) = lower(?)`, email); err != nil {
		return nil, notFound(err, "user by email")
	}
	return utcUser(&u), nil
}

// SetPasswordHash replaces a user's password hash.
func (q queries) SetPasswordHash(ctx context.Context, userID, hash string, now time.Time) error {
	return q.updateOne(ctx, "set password", `UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?`, hash, now.UTC(), userID)
}

// SetUserRole changes a user's role.
func (q queries) SetUserRole(ctx context.Context, userID string, role auth.Role, now time.Time) error {
	return q.updateOne(ctx, "set role", `UPDATE users SET role = ?, updated_at = ? WHERE id = ?`, string(role), now.UTC(), userID)
}

func (q queries) updateOne(ctx context.Context, what, query string, args ...any) error {
	res, err := q.exec(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("db: %s: %w", what, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("db: %s: %w", what, errNotFound)
	}
	return nil
}

func utcUser(u *auth.User) *auth.User {
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	return u
}
