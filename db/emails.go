package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/gqlauth/gqlauth/auth"
	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"
)

// canonicalEmailsVersion is the Go migration that brings stored emails to
// auth.NormalizeEmail's canonical form. It is Go, one function for both
// dialects, because SQL has neither NFKC nor IDNA.
const canonicalEmailsVersion = 6

// UserEmails reads every account's stored email, for the collision check.
func (q queries) UserEmails(ctx context.Context) ([]auth.UserEmail, error) {
	var out []auth.UserEmail
	if err := q.selectAll(ctx, &out, `SELECT id, email, created_at FROM users ORDER BY created_at, id`); err != nil {
		return nil, fmt.Errorf("db: user emails: %w", err)
	}
	for i := range out {
		out[i].CreatedAt = out[i].CreatedAt.UTC()
	}
	return out, nil
}

// CheckEmails is auth.CheckEmails on the accounts stored now; it changes
// nothing. `gqlauth user collisions` runs it.
func (s *Store) CheckEmails(ctx context.Context) (*auth.EmailReport, error) {
	users, err := s.UserEmails(ctx)
	if err != nil {
		return nil, err
	}
	return auth.CheckEmails(users), nil
}

// EmailMigrationReport is what the canonical-email migration found, when
// this process ran it (once per database), else nil.
func (s *Store) EmailMigrationReport() *auth.EmailReport { return s.emailReport }

// canonicalEmails rewrites each stored email that is not canonical to its
// canonical form, in the migration's transaction, unless that would make
// two accounts one: colliding and invalid emails are left untouched and
// reported, never merged.
func (s *Store) canonicalEmails() *goose.Migration {
	up := func(ctx context.Context, tx *sql.Tx) error {
		// goose hands over a bare *sql.Tx, so this reads and writes
		// without sqlx.
		rows, err := tx.QueryContext(ctx, `SELECT id, email, created_at FROM users ORDER BY created_at, id`)
		if err != nil {
			return fmt.Errorf("db: user emails: %w", err)
		}
		var users []auth.UserEmail
		for rows.Next() {
			var u auth.UserEmail
			if err := rows.Scan(&u.ID, &u.Email, &u.CreatedAt); err != nil {
				rows.Close()
				return fmt.Errorf("db: user emails: %w", err)
			}
			users = append(users, u)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("db: user emails: %w", err)
		}
		r := auth.CheckEmails(users)
		update := sqlx.Rebind(sqlx.BindType(s.db.DriverName()), `UPDATE users SET email = ?, updated_at = ? WHERE id = ?`)
		now := time.Now().UTC()
		for _, w := range r.Rewrites {
			if _, err := tx.ExecContext(ctx, update, w.To, now, w.ID); err != nil {
				return fmt.Errorf("db: canonical email of %s: %w", w.ID, err)
			}
		}
		s.emailReport = r
		return nil
	}
	// Down keeps the canonical forms: they are what every lookup expects.
	return goose.NewGoMigration(canonicalEmailsVersion, &goose.GoFunc{RunTx: up}, &goose.GoFunc{RunTx: func(context.Context, *sql.Tx) error { return nil }})
}
