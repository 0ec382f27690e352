package db

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// ParseURLForTest exposes parseURL: tests open connections of their own
// with the DSN the server would use.
func ParseURLForTest(databaseURL string) (driver, dsn string, err error) {
	return parseURL(databaseURL)
}

// NewStoreForTest wraps a pool a test opened itself (e.g. through a
// counting dialer).
func NewStoreForTest(x *sqlx.DB, dialect string) *Store {
	return &Store{queries: queries{ext: x, dialect: dialect}, db: x}
}

// MigrateToForTest applies migrations up to version only, so that a test
// can seed rows the way an older release stored them.
func (s *Store) MigrateToForTest(ctx context.Context, version int64) error {
	p, err := s.provider()
	if err != nil {
		return err
	}
	_, err = p.UpTo(ctx, version)
	return err
}
