package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/gqlauth/gqlauth/auth"

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
// In a traced request each statement is a span (see traceQuery).
func (q queries) get(ctx context.Context, dest any, query string, args ...any) error {
	ctx, span := q.traceQuery(ctx, query)
	err := classify(sqlx.GetContext(ctx, q.ext, dest, q.ext.Rebind(query), args...))
	endSpan(span, err)
	return err
}

func (q queries) selectAll(ctx context.Context, dest any, query string, args ...any) error {
	ctx, span := q.traceQuery(ctx, query)
	err := classify(sqlx.SelectContext(ctx, q.ext, dest, q.ext.Rebind(query), args...))
	endSpan(span, err)
	return err
}

func (q queries) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx, span := q.traceQuery(ctx, query)
	res, err := q.ext.ExecContext(ctx, q.ext.Rebind(query), args...)
	err = classify(err)
	endSpan(span, err)
	return res, err
}

// classify marks errors that mean "the database cannot be reached now"
// with auth.ErrUnavailable, keeping the original for errors.As.
func classify(err error) error {
	if err == nil || !unavailable(err) {
		return err
	}
	return fmt.Errorf("%w: %w", auth.ErrUnavailable, err)
}

func unavailable(err error) bool {
	// context errors satisfy net.Error; they are timeouts, not outages.
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var pe *pq.Error
	if errors.As(err, &pe) {
		// Class 08: connection exception; 57P0x: shutting down or starting;
		// 53300: too many connections.
		c := string(pe.Code)
		return strings.HasPrefix(c, "08") || strings.HasPrefix(c, "57P") || c == "53300"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()&0xff == sqlite3.SQLITE_BUSY || se.Code()&0xff == sqlite3.SQLITE_LOCKED
	}
	return strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "driver: bad connection")
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
