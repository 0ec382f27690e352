package db

import (
	"context"
	"fmt"
	"time"

	"github.com/gqlauth/gqlauth/auth"
)

// AddAuditEvent appends to the audit log.
func (q queries) AddAuditEvent(ctx context.Context, e *auth.AuditEvent) error {
	_, err := q.exec(ctx, `INSERT INTO audit_events (at, type, user_id, email, ip, user_agent, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		e.At.UTC(), string(e.Type), e.UserID, e.Email, e.IP, e.UserAgent, e.Detail)
	if err != nil {
		return fmt.Errorf("db: add audit event: %w", err)
	}
	return nil
}

// Stats computes the adminStats figures: one statement, and one for the
// users by provider.
func (q queries) Stats(ctx context.Context, now, since time.Time) (*auth.Stats, error) {
	var r struct {
		Users          int `db:"users"`
		Admins         int `db:"admins"`
		ActiveSessions int `db:"active_sessions"`
		RevokedTokens  int `db:"revoked_tokens"`
		Logins         int `db:"logins"`
		FailedLogins   int `db:"failed_logins"`
		Unverified     int `db:"unverified"`
	}
	n, s := now.UTC(), since.UTC()
	err := q.get(ctx, &r, `SELECT
		(SELECT COUNT(*) FROM users) AS users,
		(SELECT COUNT(*) FROM users WHERE role = 'ADMIN') AS admins,
		(SELECT COUNT(*) FROM sessions WHERE revoked_at IS NULL AND expires_at > ?) AS active_sessions,
		(SELECT COUNT(*) FROM revoked_tokens WHERE expires_at > ?) AS revoked_tokens,
		(SELECT COUNT(*) FROM audit_events WHERE type = ? AND at >= ?) AS logins,
		(SELECT COUNT(*) FROM audit_events WHERE type = ? AND at >= ?) AS failed_logins,
		(SELECT COUNT(*) FROM users WHERE email_verified_at IS NULL) AS unverified`,
		n, n, string(auth.EventLoginSucceeded), s, string(auth.EventLoginFailed), s)
	if err != nil {
		return nil, fmt.Errorf("db: stats: %w", err)
	}
	byProvider, err := q.usersByProvider(ctx)
	if err != nil {
		return nil, err
	}
	return &auth.Stats{Users: r.Users, Admins: r.Admins, ActiveSessions: r.ActiveSessions, RevokedTokens: r.RevokedTokens,
		LoginsLast24h: r.Logins, FailedLoginsLast24h: r.FailedLogins, UnverifiedUsers: r.Unverified, UsersByProvider: byProvider}, nil
}

// ListAuditEvents returns one page of events, newest first.
func (q queries) ListAuditEvents(ctx context.Context, page auth.AuditPage) ([]auth.AuditEvent, error) {
	where, args := "1 = 1", []any{}
	if page.UserID != "" {
		where += ` AND user_id = ?`
		args = append(args, page.UserID)
	}
	if page.BeforeID > 0 {
		where += ` AND id < ?`
		args = append(args, page.BeforeID)
	}
	args = append(args, page.Limit)
	var events []auth.AuditEvent
	err := q.selectAll(ctx, &events,
		`SELECT id, at, type, user_id, email, ip, user_agent, detail FROM audit_events WHERE `+where+` ORDER BY id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("db: list audit events: %w", err)
	}
	for i := range events {
		events[i].At = events[i].At.UTC()
	}
	return events, nil
}
