// Package db is the persistence of gqlauth: one sqlx implementation of
// auth.Store for PostgreSQL (lib/pq) and embedded SQLite (modernc, pure Go),
// with embedded goose migrations per dialect.
package db

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gqlauth/gqlauth/auth"
	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"  // registers "postgres"
	_ "modernc.org/sqlite" // registers "sqlite"
)

// DefaultSQLitePath is where the zero-configuration store lives.
const DefaultSQLitePath = "data/gqlauth.db"

// Dialects.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

// Store implements auth.Store on a sqlx connection pool.
type Store struct {
	queries
	db  *sqlx.DB
	dsn string // for the change listener's own connection
	// emailReport is set when this process migrates emails to their
	// canonical form (see canonicalEmails).
	emailReport *auth.EmailReport
}

var _ auth.Store = (*Store)(nil)

// Open connects to databaseURL: postgres:// or postgresql:// for
// PostgreSQL, sqlite:PATH for SQLite, and "" for SQLite at
// DefaultSQLitePath. It does not migrate; call Migrate.
func Open(ctx context.Context, databaseURL string) (*Store, error) {
	driver, dsn, err := parseURL(databaseURL)
	if err != nil {
		return nil, err
	}
	db, err := sqlx.Open(driver, dsn)
	if err != nil {
		return nil, fmt.Errorf("db: open %s: %w", redact(databaseURL), err)
	}
	if driver == Postgres {
		db.SetMaxOpenConns(20)
		db.SetMaxIdleConns(10)
	} else {
		// WAL lets readers run beside the one writer; immediate transactions
		// queue writers on busy_timeout instead of failing on lock upgrade.
		db.SetMaxOpenConns(8)
		db.SetMaxIdleConns(8)
	}
	db.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("db: connect to %s: %w", redact(databaseURL), err)
	}
	return &Store{queries: queries{ext: db, dialect: driver}, db: db, dsn: dsn}, nil
}

func parseURL(databaseURL string) (driver, dsn string, err error) {
	switch {
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		// A connection attempt to an unreachable host must fail fast rather
		// than hold a request until the client gives up.
		u, err := url.Parse(databaseURL)
		if err != nil {
			return Postgres, databaseURL, nil // lib/pq explains the problem better
		}
		q := u.Query()
		if q.Get("connect_timeout") == "" {
			q.Set("connect_timeout", "5")
		}
		// lib/pq otherwise parses a parameterized query in one round trip
		// and runs it in a second; with binary_parameters it pipelines
		// Parse/Bind/Execute, halving the round trips of every query.
		if q.Get("binary_parameters") == "" {
			q.Set("binary_parameters", "yes")
		}
		u.RawQuery = q.Encode()
		return Postgres, u.String(), nil
	case databaseURL == "" || strings.HasPrefix(databaseURL, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(databaseURL, "sqlite:"), "//")
		if path == "" {
			path = DefaultSQLitePath
		}
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return "", "", fmt.Errorf("db: create %s: %w", dir, err)
			}
		}
		// The file holds password hashes and, in development, the JWT
		// secret: create it readable by its owner only (SQLite gives the
		// -wal and -shm files the same mode).
		f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
		if err != nil {
			return "", "", fmt.Errorf("db: create %s: %w", path, err)
		}
		f.Close()
		q := url.Values{}
		for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(NORMAL)"} {
			q.Add("_pragma", p)
		}
		q.Set("_txlock", "immediate")
		q.Set("_time_format", "sqlite")
		return SQLite, "file:" + path + "?" + q.Encode(), nil
	default:
		return "", "", errors.New("db: DATABASE_URL must start with postgres://, postgresql:// or sqlite:")
	}
}

// redact hides the password of a URL before it is shown anywhere.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		if strings.HasPrefix(raw, "sqlite:") || raw == "" {
			return "sqlite:" + strings.TrimPrefix(raw, "sqlite:")
		}
		return "(unparsable database URL)"
	}
	return u.Redacted()
}

// Dialect is "postgres" or "sqlite".
func (s *Store) Dialect() string { return s.dialect }

// DB exposes the pool, for tests and tools.
func (s *Store) DB() *sqlx.DB { return s.db }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return classify(s.db.PingContext(ctx)) }

// Close releases the pool.
func (s *Store) Close() error { return s.db.Close() }

// Tx runs fn in a transaction: commit when fn returns nil, roll back when it
// returns an error or panics (the panic goes on).
func (s *Store) Tx(ctx context.Context, fn func(q auth.Queries) error) (err error) {
	ctx, span := s.traceTx(ctx)
	var dbErr error // BEGIN's or COMMIT's own failure, not fn's
	defer func() { endTx(span, err == nil, dbErr) }()
	tx, dbErr := s.db.BeginTxx(ctx, nil)
	if dbErr != nil {
		return fmt.Errorf("db: begin: %w", classify(dbErr))
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(queries{ext: tx, dialect: s.dialect}); err != nil {
		_ = tx.Rollback()
		return err
	}
	if dbErr = tx.Commit(); dbErr != nil {
		return fmt.Errorf("db: commit: %w", classify(dbErr))
	}
	return nil
}
