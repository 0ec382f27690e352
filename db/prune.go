package db

import (
	"context"
	"fmt"
	"time"
)

// pruneBatch bounds each DELETE so that pruning never holds locks on a big
// table for long.
const pruneBatch = 1000

// revokedSessionRetention keeps ended sessions visible for a day (for the
// audit trail and for "why was I logged out" questions) before deletion.
const revokedSessionRetention = 24 * time.Hour

// linkTokenRetention keeps a mailed link's row a day past its expiry.
const linkTokenRetention = 24 * time.Hour

// Prune deletes expired revocations and throttles, expired sessions,
// sessions ended more than a day ago and audit events older than
// auditBefore, in batches. A missing session counts as ended, so
// deleting one never revives its tokens.
func (q queries) Prune(ctx context.Context, now, auditBefore time.Time) (int64, error) {
	n := now.UTC()
	steps := []struct {
		what, query string
		args        []any
	}{
		{"revoked tokens", `DELETE FROM revoked_tokens WHERE jti IN (SELECT jti FROM revoked_tokens WHERE expires_at <= ? LIMIT ?)`, []any{n, pruneBatch}},
		{"throttles", `DELETE FROM throttles WHERE key IN (SELECT key FROM throttles WHERE expires_at <= ? LIMIT ?)`, []any{n, pruneBatch}},
		{"sessions", `DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE expires_at <= ? OR revoked_at <= ? LIMIT ?)`,
			[]any{n, n.Add(-revokedSessionRetention), pruneBatch}},
		// Used and expired links are kept a day, so that a replayed link
		// is audited as a replay rather than an unknown token.
		{"link tokens", `DELETE FROM link_tokens WHERE token_hash IN (SELECT token_hash FROM link_tokens WHERE expires_at <= ? LIMIT ?)`,
			[]any{n.Add(-linkTokenRetention), pruneBatch}},
		{"mfa challenges", `DELETE FROM mfa_challenges WHERE id IN (SELECT id FROM mfa_challenges WHERE expires_at <= ? LIMIT ?)`, []any{n, pruneBatch}},
		{"passkey challenges", `DELETE FROM passkey_challenges WHERE id IN (SELECT id FROM passkey_challenges WHERE expires_at <= ? LIMIT ?)`,
			[]any{n, pruneBatch}},
		{"oidc flows", `DELETE FROM oidc_flows WHERE id IN (SELECT id FROM oidc_flows WHERE expires_at <= ? LIMIT ?)`, []any{n, pruneBatch}},
	}
	if !auditBefore.IsZero() {
		steps = append(steps, struct {
			what, query string
			args        []any
		}{"audit events", `DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE at < ? LIMIT ?)`, []any{auditBefore.UTC(), pruneBatch}})
	}
	var total int64
	for _, st := range steps {
		for {
			res, err := q.exec(ctx, st.query, st.args...)
			if err != nil {
				return total, fmt.Errorf("db: prune %s: %w", st.what, err)
			}
			k, err := res.RowsAffected()
			if err != nil {
				return total, err
			}
			total += k
			if k < pruneBatch {
				break
			}
			if err := ctx.Err(); err != nil {
				return total, err
			}
		}
	}
	return total, nil
}
