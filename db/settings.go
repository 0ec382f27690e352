package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Setting returns the stored value of key, creating it with create() first
// if there is none. The insert yields to a concurrent one, and the value is
// read back, so replicas starting together agree on one value.
func (q queries) Setting(ctx context.Context, key string, create func() (string, error)) (string, error) {
	var v string
	err := q.get(ctx, &v, `SELECT value FROM settings WHERE key = ?`, key)
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("db: read setting: %w", err)
	}
	nv, err := create()
	if err != nil {
		return "", err
	}
	if _, err := q.exec(ctx, `INSERT INTO settings (key, value, created_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING`,
		key, nv, time.Now().UTC()); err != nil {
		return "", fmt.Errorf("db: create setting: %w", err)
	}
	if err := q.get(ctx, &v, `SELECT value FROM settings WHERE key = ?`, key); err != nil {
		return "", fmt.Errorf("db: read setting: %w", err)
	}
	return v, nil
}
