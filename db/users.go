package db

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gqlauth/gqlauth/auth"
)

var errNotFound = auth.ErrNotFound

// userCols are read; insertCols are written by CreateUser: a new account
// has no second factor yet.
const (
	insertCols = `id, email, password_hash, role, created_at, updated_at, disabled_at, email_verified_at, custom_claims`
	userCols   = insertCols + `, mfa_enabled_at`
)

// CreateUser inserts u.
func (q queries) CreateUser(ctx context.Context, u *auth.User) error {
	_, err := q.exec(ctx, `INSERT INTO users (`+insertCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Email, u.PasswordHash, string(u.Role), u.CreatedAt.UTC(), u.UpdatedAt.UTC(), utcPtr(u.DisabledAt), utcPtr(u.EmailVerifiedAt), claimsArg(u.CustomClaims))
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

// UserForUpdate reads a user and, inside a Tx on PostgreSQL, locks the
// row until the Tx ends, so that use cases changing a user's links or
// address one after the other never interleave. SQLite's single writer
// already serialises them.
func (q queries) UserForUpdate(ctx context.Context, id string) (*auth.User, error) {
	var u auth.User
	if err := q.get(ctx, &u, `SELECT `+userCols+` FROM users WHERE id = ?`+q.forUpdate(), id); err != nil {
		return nil, notFound(err, "user for update")
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

// SetUserDisabled disables a user at now, or enables it.
func (q queries) SetUserDisabled(ctx context.Context, userID string, disabled bool, now time.Time) error {
	var at *time.Time
	if disabled {
		n := now.UTC()
		at = &n
	}
	// COALESCE keeps the first disabling time when disabling twice.
	return q.updateOne(ctx, "set disabled",
		`UPDATE users SET disabled_at = CASE WHEN ? THEN COALESCE(disabled_at, ?) ELSE NULL END, updated_at = ? WHERE id = ?`,
		disabled, at, now.UTC(), userID)
}

// ListUsers returns one page of users in (created_at, id) order: keyset
// pagination, so a page costs the same however deep it is.
func (q queries) ListUsers(ctx context.Context, page auth.UserPage) ([]auth.User, error) {
	where, args := "1 = 1", []any{}
	if page.Search != "" {
		where += ` AND lower(email) LIKE ? ESCAPE '\'`
		args = append(args, "%"+escapeLike(strings.ToLower(page.Search))+"%")
	}
	if page.AfterID != "" {
		where += ` AND (created_at > ? OR (created_at = ? AND id > ?))`
		args = append(args, page.AfterCreated.UTC(), page.AfterCreated.UTC(), page.AfterID)
	}
	args = append(args, page.Limit)
	var users []auth.User
	err := q.selectAll(ctx, &users, `SELECT `+userCols+` FROM users WHERE `+where+` ORDER BY created_at, id LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("db: list users: %w", err)
	}
	for i := range users {
		utcUser(&users[i])
	}
	return users, nil
}

// SetEmailVerified marks a user's address verified at now; a second call
// keeps the first time.
func (q queries) SetEmailVerified(ctx context.Context, userID string, now time.Time) error {
	return q.updateOne(ctx, "set email verified",
		`UPDATE users SET email_verified_at = COALESCE(email_verified_at, ?), updated_at = ? WHERE id = ?`, now.UTC(), now.UTC(), userID)
}

// SetEmail switches a user to a new, verified address; ErrDuplicateEmail
// when another account holds it.
func (q queries) SetEmail(ctx context.Context, userID, email string, now time.Time) error {
	err := q.updateOne(ctx, "set email", `UPDATE users SET email = ?, email_verified_at = ?, updated_at = ? WHERE id = ?`,
		email, now.UTC(), now.UTC(), userID)
	if isUniqueViolation(err) {
		return auth.ErrDuplicateEmail
	}
	return err
}

// SetUserClaims replaces a user's custom claims (nil clears them).
func (q queries) SetUserClaims(ctx context.Context, userID string, claims auth.RawJSON, now time.Time) error {
	return q.updateOne(ctx, "set claims", `UPDATE users SET custom_claims = ?, updated_at = ? WHERE id = ?`, claimsArg(claims), now.UTC(), userID)
}

// claimsArg stores custom claims as text, or NULL when there are none.
func claimsArg(c auth.RawJSON) any {
	if len(c) == 0 {
		return nil
	}
	return string(c)
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func utcUser(u *auth.User) *auth.User {
	u.CreatedAt, u.UpdatedAt, u.DisabledAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC(), utcPtr(u.DisabledAt)
	u.EmailVerifiedAt = utcPtr(u.EmailVerifiedAt)
	u.MfaEnabledAt = utcPtr(u.MfaEnabledAt)
	return u
}
