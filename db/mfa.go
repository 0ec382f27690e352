package db

import (
	"context"
	"fmt"
	"time"

	"github.com/gqlauth/gqlauth/auth"
)

// SetUserMfa marks a user's second factor enabled at now, or not. It
// moves updated_at, so that a replica's cache resync hears of it.
func (q queries) SetUserMfa(ctx context.Context, userID string, enabled bool, now time.Time) error {
	var at *time.Time
	if enabled {
		n := now.UTC()
		at = &n
	}
	return q.updateOne(ctx, "set mfa", `UPDATE users SET mfa_enabled_at = ?, updated_at = ? WHERE id = ?`, at, now.UTC(), userID)
}

// PutTotpFactor stores f, replacing the user's factor: a new enrollment
// starts from no accepted step.
func (q queries) PutTotpFactor(ctx context.Context, f *auth.TotpFactor) error {
	_, err := q.exec(ctx, `INSERT INTO totp_factors (user_id, secret_enc, last_step, failed_codes, created_at) VALUES (?, ?, ?, 0, ?)
		ON CONFLICT (user_id) DO UPDATE SET secret_enc = excluded.secret_enc, last_step = excluded.last_step, failed_codes = 0, created_at = excluded.created_at`,
		f.UserID, f.SecretEnc, f.LastStep, f.CreatedAt.UTC())
	if err != nil {
		return fmt.Errorf("db: put totp factor: %w", err)
	}
	return nil
}

// TotpFactor reads a user's factor.
func (q queries) TotpFactor(ctx context.Context, userID string) (*auth.TotpFactor, error) {
	var f auth.TotpFactor
	if err := q.get(ctx, &f, `SELECT user_id, secret_enc, last_step, failed_codes, created_at FROM totp_factors WHERE user_id = ?`, userID); err != nil {
		return nil, notFound(err, "totp factor")
	}
	f.CreatedAt = f.CreatedAt.UTC()
	return &f, nil
}

// DeleteMfa removes a user's factor and recovery codes.
func (q queries) DeleteMfa(ctx context.Context, userID string) (bool, error) {
	res, err := q.exec(ctx, `DELETE FROM totp_factors WHERE user_id = ?`, userID)
	if err != nil {
		return false, fmt.Errorf("db: delete totp factor: %w", err)
	}
	if _, err := q.exec(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
		return false, fmt.Errorf("db: delete recovery codes: %w", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// AdvanceTotpStep moves the last accepted step forward in one conditional
// statement: of two requests with the same code, on any replica, exactly
// one changes the row. It is bound to the secret the code was checked
// against, so a factor replaced meanwhile (a racing enrollTotp) is not
// advanced, and it forgets the wrong codes before it.
func (q queries) AdvanceTotpStep(ctx context.Context, userID, secretEnc string, step int64) (bool, error) {
	res, err := q.exec(ctx, `UPDATE totp_factors SET last_step = ?, failed_codes = 0 WHERE user_id = ? AND secret_enc = ? AND last_step < ?`,
		step, userID, secretEnc, step)
	if err != nil {
		return false, fmt.Errorf("db: advance totp step: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ResealTotpSecret swaps a user's sealed secret for the same secret sealed
// under another key, only if the row still holds oldEnc.
func (q queries) ResealTotpSecret(ctx context.Context, userID, oldEnc, newEnc string) (bool, error) {
	res, err := q.exec(ctx, `UPDATE totp_factors SET secret_enc = ? WHERE user_id = ? AND secret_enc = ?`, newEnc, userID, oldEnc)
	if err != nil {
		return false, fmt.Errorf("db: reseal totp secret: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// TotpFactorsAfter lists up to limit factors of users after afterUserID,
// in user id order: a key rotation walks every factor in pages.
func (q queries) TotpFactorsAfter(ctx context.Context, afterUserID string, limit int) ([]auth.TotpFactor, error) {
	var fs []auth.TotpFactor
	if err := q.selectAll(ctx, &fs, `SELECT user_id, secret_enc, last_step, failed_codes, created_at FROM totp_factors
		WHERE user_id > ? ORDER BY user_id LIMIT ?`, afterUserID, limit); err != nil {
		return nil, fmt.Errorf("db: totp factors: %w", err)
	}
	return fs, nil
}

// CountTotpFailure counts a wrong code against a user's authenticator and
// returns the count so far, in one statement.
func (q queries) CountTotpFailure(ctx context.Context, userID string) (int, error) {
	var n int
	if err := q.get(ctx, &n, `UPDATE totp_factors SET failed_codes = failed_codes + 1 WHERE user_id = ? RETURNING failed_codes`, userID); err != nil {
		return 0, notFound(err, "count totp failure")
	}
	return n, nil
}

// ClearTotpFailures forgets the wrong codes of a user's authenticator (a
// recovery code proved the user).
func (q queries) ClearTotpFailures(ctx context.Context, userID string) error {
	if _, err := q.exec(ctx, `UPDATE totp_factors SET failed_codes = 0 WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("db: clear totp failures: %w", err)
	}
	return nil
}

// ReplaceRecoveryCodes replaces every recovery code of a user.
func (q queries) ReplaceRecoveryCodes(ctx context.Context, userID string, hashes []string, now time.Time) error {
	if _, err := q.exec(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("db: replace recovery codes: %w", err)
	}
	for _, h := range hashes {
		if _, err := q.exec(ctx, `INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES (?, ?, ?)`, userID, h, now.UTC()); err != nil {
			return fmt.Errorf("db: replace recovery codes: %w", err)
		}
	}
	return nil
}

// UseRecoveryCode marks an unused recovery code used, in one conditional
// statement, so a code serves one login however many race for it.
func (q queries) UseRecoveryCode(ctx context.Context, userID, hash string, now time.Time) (bool, error) {
	res, err := q.exec(ctx, `UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL`,
		now.UTC(), userID, hash)
	if err != nil {
		return false, fmt.Errorf("db: use recovery code: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// RecoveryCodesLeft counts a user's unused recovery codes.
func (q queries) RecoveryCodesLeft(ctx context.Context, userID string) (int, error) {
	var n int
	if err := q.get(ctx, &n, `SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL`, userID); err != nil {
		return 0, fmt.Errorf("db: recovery codes left: %w", err)
	}
	return n, nil
}

// CreateMfaChallenge inserts c.
func (q queries) CreateMfaChallenge(ctx context.Context, c *auth.MfaChallenge) error {
	method := c.Method
	if method == "" {
		method = auth.AMRPassword
	}
	_, err := q.exec(ctx, `INSERT INTO mfa_challenges (id, user_id, method, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		c.ID, c.UserID, method, c.CreatedAt.UTC(), c.ExpiresAt.UTC())
	if err != nil {
		return fmt.Errorf("db: create mfa challenge: %w", err)
	}
	return nil
}

// MfaChallenge reads a challenge by id.
func (q queries) MfaChallenge(ctx context.Context, id string) (*auth.MfaChallenge, error) {
	var c auth.MfaChallenge
	if err := q.get(ctx, &c, `SELECT id, user_id, method, created_at, expires_at, used_at FROM mfa_challenges WHERE id = ?`, id); err != nil {
		return nil, notFound(err, "mfa challenge")
	}
	c.CreatedAt, c.ExpiresAt, c.UsedAt = c.CreatedAt.UTC(), c.ExpiresAt.UTC(), utcPtr(c.UsedAt)
	return &c, nil
}

// ConsumeMfaChallenge spends a challenge in one conditional statement:
// of two requests with the same mfaToken, exactly one gets a session.
func (q queries) ConsumeMfaChallenge(ctx context.Context, id string, now time.Time) (bool, error) {
	res, err := q.exec(ctx, `UPDATE mfa_challenges SET used_at = ? WHERE id = ? AND used_at IS NULL AND expires_at > ?`,
		now.UTC(), id, now.UTC())
	if err != nil {
		return false, fmt.Errorf("db: consume mfa challenge: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
