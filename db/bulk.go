package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/gqlauth/gqlauth/auth"
)

// Bulk loading is for the benchmark and for tests that need large tables:
// the service never inserts more than one row of a kind at a time.

// bulkRows is how many rows one INSERT carries. 500 rows of 7 columns stay
// far below PostgreSQL's 65535 and SQLite's 32766 bound parameters while
// cutting round trips (and SQLite statement preparations) 500-fold.
const bulkRows = 500

// Revocation is one revoked_tokens row, for BulkInsertRevocations.
type Revocation struct {
	JTI       string
	UserID    string
	ExpiresAt time.Time
	RevokedAt time.Time
}

// BulkInsertUsers inserts users in one transaction with multi-row INSERTs.
// It skips the service's checks (email normalization, hashing): the caller
// gives rows as they should be stored.
func (s *Store) BulkInsertUsers(ctx context.Context, users []auth.User) error {
	const cols = 9
	return s.bulkInsert(ctx, "users", `INSERT INTO users (`+insertCols+`) VALUES `, cols, len(users), func(i int, args []any) []any {
		u := &users[i]
		return append(args, u.ID, u.Email, u.PasswordHash, string(u.Role), u.CreatedAt.UTC(), u.UpdatedAt.UTC(), utcPtr(u.DisabledAt), utcPtr(u.EmailVerifiedAt), claimsArg(u.CustomClaims))
	})
}

// BulkInsertRevocations inserts revoked_tokens rows in one transaction with
// multi-row INSERTs.
func (s *Store) BulkInsertRevocations(ctx context.Context, revs []Revocation) error {
	const cols = 4
	return s.bulkInsert(ctx, "revocations", `INSERT INTO revoked_tokens (jti, user_id, expires_at, revoked_at) VALUES `, cols, len(revs), func(i int, args []any) []any {
		r := &revs[i]
		return append(args, r.JTI, r.UserID, r.ExpiresAt.UTC(), r.RevokedAt.UTC())
	})
}

// bulkInsert runs prefix followed by up to bulkRows "(?, ?, …)" tuples per
// statement, all in one transaction so that a failed load leaves nothing
// behind. row appends row i's cols arguments.
func (s *Store) bulkInsert(ctx context.Context, what, prefix string, cols, n int, row func(i int, args []any) []any) error {
	if n == 0 {
		return nil
	}
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: bulk %s: begin: %w", what, classify(err))
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	var stmt *sql.Stmt  // the full-size statement, prepared once
	args := make([]any, 0, bulkRows*cols)
	for start := 0; start < n; start += bulkRows {
		end := min(start+bulkRows, n)
		args = args[:0]
		for i := start; i < end; i++ {
			args = row(i, args)
		}
		query := tx.Rebind(prefix + strings.TrimSuffix(strings.Repeat(tuple+", ", end-start), ", "))
		if end-start == bulkRows {
			if stmt == nil {
				if stmt, err = tx.PrepareContext(ctx, query); err != nil {
					return fmt.Errorf("db: bulk %s: prepare: %w", what, classify(err))
				}
				defer stmt.Close()
			}
			_, err = stmt.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, query, args...)
		}
		if err != nil {
			return fmt.Errorf("db: bulk %s: rows %d-%d: %w", what, start, end, classify(err))
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("db: bulk %s: commit: %w", what, classify(err))
	}
	return nil
}

// Analyze refreshes the query planner's statistics, as autovacuum (or a
// long-running SQLite database's own ANALYZE) would have done after the
// tables grew to their size: plans measured right after a bulk load should
// be the plans a production database runs.
func (s *Store) Analyze(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `ANALYZE`); err != nil {
		return fmt.Errorf("db: analyze: %w", classify(err))
	}
	return nil
}
