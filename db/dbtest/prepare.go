package dbtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/lib/pq"
)

// BaseURL is TEST_DATABASE_URL, or DefaultPostgresURL when it is unset.
func BaseURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultPostgresURL
}

// Prepare makes sure the PostgreSQL at base answers and holds the database
// it names, creating that database through the "postgres" maintenance
// database when it is missing, so that a fresh server needs no set-up
// before `make test`. Its error is one line saying what to set.
func Prepare(ctx context.Context, base string) error {
	err := ping(ctx, base)
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "3D000" { // invalid_catalog_name
		if err = createDatabase(ctx, base); err == nil {
			err = ping(ctx, base)
		}
	}
	if err != nil {
		return fmt.Errorf("PostgreSQL at TEST_DATABASE_URL=%s: %s; set TEST_DATABASE_URL=postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=disable to a server the tests may create schemas in",
			redact(base), strings.ReplaceAll(err.Error(), "\n", " "))
	}
	return nil
}

var prepared struct {
	once sync.Once
	err  error
}

// prepareOnce runs Prepare on TEST_DATABASE_URL once per test binary: every
// PostgreSQL test then fails (or skips) with the same line.
func prepareOnce() error {
	prepared.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		prepared.err = Prepare(ctx, BaseURL())
	})
	return prepared.err
}

func ping(ctx context.Context, dsn string) error {
	conn, err := sql.Open("postgres", dsn)
	if err != nil {
		return err
	}
	defer conn.Close()
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return conn.PingContext(pctx)
}

// createDatabase creates the database base names, connected to the
// maintenance database of the same server as the same user. Another test
// binary creating it at the same moment is not an error.
func createDatabase(ctx context.Context, base string) error {
	u, err := url.Parse(base)
	if err != nil {
		return err
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" {
		return errors.New("TEST_DATABASE_URL names no database")
	}
	u.Path = "/postgres"
	conn, err := sql.Open("postgres", u.String())
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.ExecContext(ctx, `CREATE DATABASE `+pq.QuoteIdentifier(name))
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "42P04" { // duplicate_database
		return nil
	}
	if err != nil {
		return fmt.Errorf("database %q does not exist and creating it failed: %w", name, err)
	}
	return nil
}

// redact hides the password of a database URL.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
