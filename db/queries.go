package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// queries runs the row-level operations on a pool or a transaction alike.
type queries struct {
	ext     sqlx.ExtContext
	dialect string
}

// Queries are written with ? placeholders; sqlx rebinds them to $n for
// PostgreSQL.
func (q queries) get(ctx context.Context, dest any, query string, args ...any) error {
	return sqlx.GetContext(ctx, q.ext, dest, q.ext.Rebind(query), args...)
}

func (q queries) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return q.ext.ExecContext(ctx, q.ext.Rebind(query), args...)
}

// forUpdate is the row lock for read-modify-write in a transaction. SQLite
// has none and needs none: its transactions begin IMMEDIATE, holding the
// database's write lock from the start.
func (q queries) forUpdate() string {
	if q.dialect == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

func isUniqueViolation(err error) bool {
	var pe *pq.Error
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("db: %s: %w", what, errNotFound)
	}
	return fmt.Errorf("db: %s: %w", what, err)
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
