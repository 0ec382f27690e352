package db

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/gqlauth/gqlauth/auth"
)

// EnqueueMail writes m to the outbox, due at now. Called inside the
// transaction that creates the token the mail carries.
func (q queries) EnqueueMail(ctx context.Context, m *auth.Mail, now time.Time) error {
	data, err := json.Marshal(m.Data)
	if err != nil {
		return fmt.Errorf("db: enqueue mail: %w", err)
	}
	n := now.UTC()
	if _, err := q.exec(ctx, `INSERT INTO mail_outbox (to_addr, template, data, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?)`,
		m.To, m.Template, string(data), n, n); err != nil {
		return fmt.Errorf("db: enqueue mail: %w", err)
	}
	return nil
}

// ClaimMail takes up to limit due mails for this sender until now+lease
// and counts an attempt on each. A claimed mail is invisible to other
// senders until it is marked or its lease runs out (its sender crashed),
// so that several replicas never send one mail twice. One statement: on
// PostgreSQL its subquery locks the rows FOR UPDATE SKIP LOCKED, so a
// racing claimer skips them instead of waiting; SQLite's single writer
// serialises claimers.
func (s *Store) ClaimMail(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]auth.QueuedMail, error) {
	n := now.UTC()
	skip := ""
	if s.dialect == Postgres {
		skip = " FOR UPDATE SKIP LOCKED"
	}
	var rows []struct {
		ID        int64     `db:"id"`
		To        string    `db:"to_addr"`
		Template  string    `db:"template"`
		Data      string    `db:"data"`
		CreatedAt time.Time `db:"created_at"`
		Attempts  int       `db:"attempts"`
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("db: claim mail: %w", classify(err))
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	q := queries{ext: tx, dialect: s.dialect}
	err = q.selectAll(ctx, &rows, `UPDATE mail_outbox SET claimed_until = ?, attempts = attempts + 1
		WHERE id IN (SELECT id FROM mail_outbox
			WHERE sent_at IS NULL AND abandoned_at IS NULL AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?)
			ORDER BY next_attempt_at, id LIMIT ?`+skip+`)
		RETURNING id, to_addr, template, data, created_at, attempts`, n.Add(lease), n, n, limit)
	if err != nil {
		return nil, fmt.Errorf("db: claim mail: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("db: claim mail: commit: %w", classify(err))
	}
	out := make([]auth.QueuedMail, 0, len(rows))
	for _, r := range rows {
		m := auth.QueuedMail{ID: r.ID, Attempts: r.Attempts, CreatedAt: r.CreatedAt.UTC(), Mail: auth.Mail{To: r.To, Template: r.Template}}
		if err := json.Unmarshal([]byte(r.Data), &m.Data); err != nil {
			return nil, fmt.Errorf("db: claim mail %d: data: %w", r.ID, err)
		}
		out = append(out, m)
	}
	// RETURNING gives no order; the oldest due mail goes first.
	slices.SortFunc(out, func(a, b auth.QueuedMail) int { return int(a.ID - b.ID) })
	return out, nil
}

// MarkMailSent records the delivery of a claimed mail; it is never
// claimed again. Its data (the link) is dropped: a delivered link need
// not wait in the database for whoever reads it next.
func (q queries) MarkMailSent(ctx context.Context, id int64, now time.Time) error {
	if _, err := q.exec(ctx, `UPDATE mail_outbox SET sent_at = ?, claimed_until = NULL, last_error = '', data = '{}' WHERE id = ?`, now.UTC(), id); err != nil {
		return fmt.Errorf("db: mark mail sent: %w", err)
	}
	return nil
}

// MarkMailFailed releases a claimed mail to be tried again at next,
// keeping why it failed for the operator.
func (q queries) MarkMailFailed(ctx context.Context, id int64, next time.Time, reason string) error {
	if _, err := q.exec(ctx, `UPDATE mail_outbox SET next_attempt_at = ?, claimed_until = NULL, last_error = ? WHERE id = ?`,
		next.UTC(), reason, id); err != nil {
		return fmt.Errorf("db: mark mail failed: %w", err)
	}
	return nil
}

// AbandonMail gives up a claimed mail: it stays in the outbox with why,
// for the operator, without its data (the link), and is never claimed
// again.
func (q queries) AbandonMail(ctx context.Context, id int64, now time.Time, reason string) error {
	if _, err := q.exec(ctx, `UPDATE mail_outbox SET abandoned_at = ?, claimed_until = NULL, last_error = ?, data = '{}' WHERE id = ?`,
		now.UTC(), reason, id); err != nil {
		return fmt.Errorf("db: abandon mail: %w", err)
	}
	return nil
}

// PruneMail deletes mails sent before before, in batches, and returns how
// many it deleted. Unsent mail is never pruned.
func (q queries) PruneMail(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		res, err := q.exec(ctx, `DELETE FROM mail_outbox WHERE id IN (SELECT id FROM mail_outbox WHERE (sent_at IS NOT NULL AND sent_at < ?) OR abandoned_at < ? LIMIT ?)`,
			before.UTC(), before.UTC(), pruneBatch)
		if err != nil {
			return total, fmt.Errorf("db: prune mail: %w", err)
		}
		k, err := res.RowsAffected()
		if err != nil {
			return total, err
		}
		total += k
		if k < pruneBatch {
			return total, nil
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}

// MailStats counts the unsent mail, for metrics.
func (q queries) MailStats(ctx context.Context) (auth.MailStats, error) {
	var r struct {
		Queued   int `db:"queued"`
		Retrying int `db:"retrying"`
	}
	err := q.get(ctx, &r, `SELECT COUNT(*) AS queued,
		COALESCE(SUM(CASE WHEN last_error <> '' THEN 1 ELSE 0 END), 0) AS retrying
		FROM mail_outbox WHERE sent_at IS NULL AND abandoned_at IS NULL`)
	if err != nil {
		return auth.MailStats{}, fmt.Errorf("db: mail stats: %w", err)
	}
	st := auth.MailStats{Queued: r.Queued, Retrying: r.Retrying}
	// A plain column rather than MIN(), so that SQLite's driver knows it
	// is a timestamp.
	var oldest time.Time
	err = q.get(ctx, &oldest, `SELECT created_at FROM mail_outbox WHERE sent_at IS NULL AND abandoned_at IS NULL ORDER BY created_at LIMIT 1`)
	switch {
	case err == nil:
		st.OldestQueued = oldest.UTC()
	case !isNoRows(err):
		return auth.MailStats{}, fmt.Errorf("db: mail stats: oldest: %w", err)
	}
	return st, nil
}
