package db

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gqlauth/gqlauth/auth"
)

// ThrottleHits counts one attempt against each key in a fixed window of
// the given length (a new window starts when the last one has expired)
// and returns each key's count so far and when its window ends. One atomic
// statement, so racing attempts are each counted, and a login counts
// against its client's address and its account in one round trip and one
// commit. Keys are upserted in sorted
// order, so that two requests counting the same keys lock their rows in
// the same order and cannot deadlock.
func (q queries) ThrottleHits(ctx context.Context, keys []string, window time.Duration, now time.Time) (map[string]auth.ThrottleCount, error) {
	keys = slices.Compact(slices.Sorted(slices.Values(keys)))
	if len(keys) == 0 {
		return map[string]auth.ThrottleCount{}, nil
	}
	n := now.UTC()
	values := strings.TrimSuffix(strings.Repeat("(?, 1, ?, ?), ", len(keys)), ", ")
	args := make([]any, 0, 3*len(keys)+3)
	for _, k := range keys {
		args = append(args, k, n, n.Add(window))
	}
	args = append(args, n, n, n)
	var rows []struct {
		Key       string    `db:"key"`
		Count     int       `db:"count"`
		ExpiresAt time.Time `db:"expires_at"`
	}
	err := q.selectAll(ctx, &rows, `INSERT INTO throttles (key, count, window_start, expires_at) VALUES `+values+`
		ON CONFLICT (key) DO UPDATE SET
			count        = CASE WHEN throttles.expires_at <= ? THEN 1 ELSE throttles.count + 1 END,
			window_start = CASE WHEN throttles.expires_at <= ? THEN excluded.window_start ELSE throttles.window_start END,
			expires_at   = CASE WHEN throttles.expires_at <= ? THEN excluded.expires_at ELSE throttles.expires_at END
		RETURNING key, count, expires_at`, args...)
	if err != nil {
		return nil, fmt.Errorf("db: throttle hits: %w", err)
	}
	out := make(map[string]auth.ThrottleCount, len(rows))
	for _, r := range rows {
		out[r.Key] = auth.ThrottleCount{Count: r.Count, Until: r.ExpiresAt.UTC()}
	}
	if len(out) != len(keys) {
		return nil, fmt.Errorf("db: throttle hits: %d of %d counters returned", len(out), len(keys))
	}
	return out, nil
}

// ThrottleCount reads key's count in its current window (0 if none).
func (q queries) ThrottleCount(ctx context.Context, key string, now time.Time) (int, time.Time, error) {
	var r struct {
		Count     int       `db:"count"`
		ExpiresAt time.Time `db:"expires_at"`
	}
	err := q.get(ctx, &r, `SELECT count, expires_at FROM throttles WHERE key = ? AND expires_at > ?`, key, now.UTC())
	if err != nil {
		if isNoRows(err) {
			return 0, time.Time{}, nil
		}
		return 0, time.Time{}, fmt.Errorf("db: throttle count: %w", err)
	}
	return r.Count, r.ExpiresAt.UTC(), nil
}

// ThrottleReset forgets key, e.g. an account's failures after a success.
func (q queries) ThrottleReset(ctx context.Context, key string) error {
	if _, err := q.exec(ctx, `DELETE FROM throttles WHERE key = ?`, key); err != nil {
		return fmt.Errorf("db: throttle reset: %w", err)
	}
	return nil
}
