package db

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/postgres/*.sql migrations/sqlite/*.sql
var migrations embed.FS

func (s *Store) provider() (*goose.Provider, error) {
	dir, dialect := "migrations/sqlite", goose.DialectSQLite3
	opts := []goose.ProviderOption{goose.WithGoMigrations(s.canonicalEmails())}
	if s.dialect == Postgres {
		dir, dialect = "migrations/postgres", goose.DialectPostgres
		// Replicas that start together take turns instead of racing.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	sub, err := fs.Sub(migrations, dir)
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(dialect, s.db.DB, sub, opts...)
}

// Migration is one schema version this binary knows.
type Migration struct {
	Version   int64
	Name      string    // the SQL file, or what the Go migration does
	AppliedAt time.Time // zero while pending
}

// Applied reports whether the database has this version.
func (m Migration) Applied() bool { return !m.AppliedAt.IsZero() }

func migrationName(src *goose.Source) string {
	if src.Version == canonicalEmailsVersion {
		return "canonical emails (Go)"
	}
	return path.Base(src.Path)
}

// Migrate applies every pending migration.
func (s *Store) Migrate(ctx context.Context) error {
	_, err := s.ApplyMigrations(ctx)
	return err
}

// ApplyMigrations applies every pending migration and returns the ones it
// applied, oldest first, so that an operator sees what changed.
func (s *Store) ApplyMigrations(ctx context.Context) ([]Migration, error) {
	p, err := s.provider()
	if err != nil {
		return nil, fmt.Errorf("db: migrations: %w", err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("db: migrate: %w", err)
	}
	out := make([]Migration, 0, len(res))
	now := time.Now().UTC()
	for _, r := range res {
		out = append(out, Migration{Version: r.Source.Version, Name: migrationName(r.Source), AppliedAt: now})
	}
	return out, nil
}

// MigrationStatus lists every migration this binary knows, oldest first,
// with when it was applied (zero: pending). It applies nothing.
func (s *Store) MigrationStatus(ctx context.Context) ([]Migration, error) {
	p, err := s.provider()
	if err != nil {
		return nil, fmt.Errorf("db: migrations: %w", err)
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("db: migration status: %w", err)
	}
	out := make([]Migration, 0, len(st))
	for _, m := range st {
		mg := Migration{Version: m.Source.Version, Name: migrationName(m.Source)}
		if m.State == goose.StateApplied {
			mg.AppliedAt = m.AppliedAt.UTC()
		}
		out = append(out, mg)
	}
	return out, nil
}

// MigrationsPending reports whether the schema is behind this binary.
func (s *Store) MigrationsPending(ctx context.Context) (bool, error) {
	p, err := s.provider()
	if err != nil {
		return false, err
	}
	return p.HasPending(ctx)
}
