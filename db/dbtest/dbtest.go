// Package dbtest gives tests real, isolated databases: a fresh SQLite file
// or a fresh PostgreSQL schema per test, dropped when the test ends.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/gqlauth/gqlauth/db"
	_ "github.com/lib/pq" // the PostgreSQL driver
)

// DefaultPostgresURL is used when TEST_DATABASE_URL is unset.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// PostgresRequired reports whether an unreachable PostgreSQL must fail the
// run rather than skip: in CI, or when REQUIRE_POSTGRES=1.
func PostgresRequired() bool {
	return os.Getenv("CI") != "" || os.Getenv("REQUIRE_POSTGRES") == "1"
}

// PostgresURL creates a schema of its own for t and returns a URL whose
// connections use it (lib/pq passes search_path on as a run-time parameter).
func PostgresURL(t testing.TB) string {
	t.Helper()
	if err := prepareOnce(); err != nil {
		if PostgresRequired() {
			t.Fatalf("PostgreSQL is required (CI or REQUIRE_POSTGRES=1): %v", err)
		}
		t.Skipf("skipping the PostgreSQL half (REQUIRE_POSTGRES=1 makes this fatal): %v", err)
	}
	base := BaseURL()
	conn, err := sql.Open("postgres", base)
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "gqlauth_test_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(`CREATE SCHEMA ` + schema); err != nil {
		conn.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		defer conn.Close()
		if _, err := conn.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// SQLiteURL returns a fresh SQLite file in t's temporary directory.
func SQLiteURL(t testing.TB) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "gqlauth.db")
}

// ForEachStore runs fn as the subtests "sqlite" and "postgres", each on a
// database of its own.
func ForEachStore(t *testing.T, fn func(t *testing.T, url string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLiteURL(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, PostgresURL(t)) })
}

// Open opens and migrates the store at url, closing it when t ends.
func Open(t testing.TB, url string) *db.Store {
	t.Helper()
	s, err := db.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}
