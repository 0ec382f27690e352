package db

import (
	"context"
	"fmt"
	"time"

	"github.com/gqlauth/gqlauth/auth"
)

const passkeyCols = `id, user_id, credential_id, public_key, sign_count, transports, aaguid, flags,
	attestation_type, attestation_format, name, created_at, last_used_at`

// CreatePasskey inserts pk.
func (q queries) CreatePasskey(ctx context.Context, pk *auth.Passkey) error {
	_, err := q.exec(ctx, `INSERT INTO passkeys (`+passkeyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		pk.ID, pk.UserID, pk.CredentialID, pk.PublicKey, pk.SignCount, pk.Transports, pk.AAGUID, pk.Flags,
		pk.AttestationType, pk.AttestationFormat, pk.Name, pk.CreatedAt.UTC(), utcPtr(pk.LastUsedAt))
	if isUniqueViolation(err) {
		return auth.ErrDuplicateCredential
	}
	if err != nil {
		return fmt.Errorf("db: create passkey: %w", err)
	}
	return nil
}

// Passkeys lists a user's passkeys, oldest first.
func (q queries) Passkeys(ctx context.Context, userID string) ([]auth.Passkey, error) {
	var pks []auth.Passkey
	if err := q.selectAll(ctx, &pks, `SELECT `+passkeyCols+` FROM passkeys WHERE user_id = ? ORDER BY created_at, id`, userID); err != nil {
		return nil, fmt.Errorf("db: passkeys: %w", err)
	}
	for i := range pks {
		pks[i].CreatedAt, pks[i].LastUsedAt = pks[i].CreatedAt.UTC(), utcPtr(pks[i].LastUsedAt)
	}
	return pks, nil
}

// CountPasskeys counts a user's passkeys.
func (q queries) CountPasskeys(ctx context.Context, userID string) (int, error) {
	var n int
	if err := q.get(ctx, &n, `SELECT COUNT(*) FROM passkeys WHERE user_id = ?`, userID); err != nil {
		return 0, fmt.Errorf("db: count passkeys: %w", err)
	}
	return n, nil
}

// PasskeyByCredentialID finds a passkey by its credential id.
func (q queries) PasskeyByCredentialID(ctx context.Context, credentialID string) (*auth.Passkey, error) {
	var pk auth.Passkey
	if err := q.get(ctx, &pk, `SELECT `+passkeyCols+` FROM passkeys WHERE credential_id = ?`, credentialID); err != nil {
		return nil, notFound(err, "passkey")
	}
	pk.CreatedAt, pk.LastUsedAt = pk.CreatedAt.UTC(), utcPtr(pk.LastUsedAt)
	return &pk, nil
}

// RenamePasskey renames one of a user's passkeys.
func (q queries) RenamePasskey(ctx context.Context, userID, id, name string) (bool, error) {
	res, err := q.exec(ctx, `UPDATE passkeys SET name = ? WHERE id = ? AND user_id = ?`, name, id, userID)
	if err != nil {
		return false, fmt.Errorf("db: rename passkey: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// DeletePasskey removes one of a user's passkeys.
func (q queries) DeletePasskey(ctx context.Context, userID, id string) (bool, error) {
	res, err := q.exec(ctx, `DELETE FROM passkeys WHERE id = ? AND user_id = ?`, id, userID)
	if err != nil {
		return false, fmt.Errorf("db: delete passkey: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// UsePasskey records a use in one conditional statement: of two uses
// that read the same counter, on any replica, one changes the row.
func (q queries) UsePasskey(ctx context.Context, id string, seen int64, use *auth.PasskeyUse, now time.Time) (bool, error) {
	res, err := q.exec(ctx, `UPDATE passkeys SET sign_count = ?, flags = ?, last_used_at = ? WHERE id = ? AND sign_count = ?`,
		use.SignCount, use.Flags, now.UTC(), id, seen)
	if err != nil {
		return false, fmt.Errorf("db: use passkey: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// CreatePasskeyChallenge inserts c.
func (q queries) CreatePasskeyChallenge(ctx context.Context, c *auth.PasskeyChallenge) error {
	_, err := q.exec(ctx, `INSERT INTO passkey_challenges (id, purpose, user_id, state, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
		c.ID, c.Purpose, c.UserID, c.State, c.CreatedAt.UTC(), c.ExpiresAt.UTC())
	if err != nil {
		return fmt.Errorf("db: create passkey challenge: %w", err)
	}
	return nil
}

// PasskeyChallenge reads a challenge by id.
func (q queries) PasskeyChallenge(ctx context.Context, id string) (*auth.PasskeyChallenge, error) {
	var c auth.PasskeyChallenge
	if err := q.get(ctx, &c, `SELECT id, purpose, user_id, state, created_at, expires_at, used_at FROM passkey_challenges WHERE id = ?`, id); err != nil {
		return nil, notFound(err, "passkey challenge")
	}
	c.CreatedAt, c.ExpiresAt, c.UsedAt = c.CreatedAt.UTC(), c.ExpiresAt.UTC(), utcPtr(c.UsedAt)
	return &c, nil
}

// ConsumePasskeyChallenge spends a challenge in one conditional
// statement: of two requests with one challenge, exactly one goes on.
func (q queries) ConsumePasskeyChallenge(ctx context.Context, id string, now time.Time) (bool, error) {
	res, err := q.exec(ctx, `UPDATE passkey_challenges SET used_at = ? WHERE id = ? AND used_at IS NULL AND expires_at > ?`,
		now.UTC(), id, now.UTC())
	if err != nil {
		return false, fmt.Errorf("db: consume passkey challenge: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
