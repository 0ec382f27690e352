package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"regexp"
)

// Helpers for tools that manage a store from outside the service: the
// benchmark resets its own schema and names the database it ran on.

// schemaName is what ResetPostgresSchema accepts: the name is spliced into
// DDL, which takes no bind parameters.
var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// ResetPostgresSchema drops schema (with everything in it) and creates it
// empty, and returns databaseURL with search_path set to it: lib/pq sends
// search_path as a run-time parameter, so every connection of a pool opened
// on the returned URL works in the schema alone and the database's other
// tables are never touched. It is for benchmarks that must start from an
// empty store on a shared database.
func ResetPostgresSchema(ctx context.Context, databaseURL, schema string) (string, error) {
	if !schemaName.MatchString(schema) {
		return "", fmt.Errorf("db: schema name %q: want lower-case letters, digits and _", schema)
	}
	u, err := url.Parse(databaseURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", errors.New("db: ResetPostgresSchema needs a postgres:// URL")
	}
	if err := execPostgres(ctx, databaseURL, `DROP SCHEMA IF EXISTS `+schema+` CASCADE`, `CREATE SCHEMA `+schema); err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// DropPostgresSchema drops schema and everything in it.
func DropPostgresSchema(ctx context.Context, databaseURL, schema string) error {
	if !schemaName.MatchString(schema) {
		return fmt.Errorf("db: schema name %q: want lower-case letters, digits and _", schema)
	}
	return execPostgres(ctx, databaseURL, `DROP SCHEMA IF EXISTS `+schema+` CASCADE`)
}

func execPostgres(ctx context.Context, databaseURL string, stmts ...string) error {
	_, dsn, err := parseURL(databaseURL)
	if err != nil {
		return err
	}
	conn, err := sql.Open(Postgres, dsn)
	if err != nil {
		return fmt.Errorf("db: open %s: %w", redact(databaseURL), err)
	}
	defer conn.Close()
	for _, s := range stmts {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("db: %s: %w", s, classify(err))
		}
	}
	return nil
}

// Version names the database engine and its version, e.g. "PostgreSQL
// 16.4" or "SQLite 3.49.1".
func (s *Store) Version(ctx context.Context) (string, error) {
	var v string
	if s.dialect == Postgres {
		if err := s.db.GetContext(ctx, &v, `SHOW server_version`); err != nil {
			return "", fmt.Errorf("db: version: %w", classify(err))
		}
		return "PostgreSQL " + v, nil
	}
	if err := s.db.GetContext(ctx, &v, `SELECT sqlite_version()`); err != nil {
		return "", fmt.Errorf("db: version: %w", classify(err))
	}
	return "SQLite " + v, nil
}
