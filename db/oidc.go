package db

import (
	"context"
	"fmt"
	"time"

	"github.com/gqlauth/gqlauth/auth"
)

const identityCols = `provider, subject, user_id, email, created_at`

// CreateOidcFlow inserts f.
func (q queries) CreateOidcFlow(ctx context.Context, f *auth.OidcFlow) error {
	_, err := q.exec(ctx, `INSERT INTO oidc_flows (id, provider, redirect_uri, user_id, nonce, code_verifier, binding_hash, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		f.ID, f.Provider, f.RedirectURI, f.UserID, f.Nonce, f.CodeVerifier, f.BindingHash, f.CreatedAt.UTC(), f.ExpiresAt.UTC())
	if err != nil {
		return fmt.Errorf("db: create oidc flow: %w", err)
	}
	return nil
}

// OidcFlow reads a flow by id.
func (q queries) OidcFlow(ctx context.Context, id string) (*auth.OidcFlow, error) {
	var f auth.OidcFlow
	err := q.get(ctx, &f, `SELECT id, provider, redirect_uri, user_id, nonce, code_verifier, binding_hash, created_at, expires_at, used_at
		FROM oidc_flows WHERE id = ?`, id)
	if err != nil {
		return nil, notFound(err, "oidc flow")
	}
	f.CreatedAt, f.ExpiresAt, f.UsedAt = f.CreatedAt.UTC(), f.ExpiresAt.UTC(), utcPtr(f.UsedAt)
	return &f, nil
}

// ConsumeOidcFlow spends a flow in one conditional statement: of two
// finishes with one state, on any replica, exactly one goes on.
func (q queries) ConsumeOidcFlow(ctx context.Context, id string, now time.Time) (bool, error) {
	res, err := q.exec(ctx, `UPDATE oidc_flows SET used_at = ? WHERE id = ? AND used_at IS NULL AND expires_at > ?`,
		now.UTC(), id, now.UTC())
	if err != nil {
		return false, fmt.Errorf("db: consume oidc flow: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// IdentityBySubject reads the identity of subject at provider.
func (q queries) IdentityBySubject(ctx context.Context, provider, subject string) (*auth.Identity, error) {
	var i auth.Identity
	if err := q.get(ctx, &i, `SELECT `+identityCols+` FROM user_identities WHERE provider = ? AND subject = ?`, provider, subject); err != nil {
		return nil, notFound(err, "identity")
	}
	i.CreatedAt = i.CreatedAt.UTC()
	return &i, nil
}

// Identities lists a user's identities, oldest first.
func (q queries) Identities(ctx context.Context, userID string) ([]auth.Identity, error) {
	ids := []auth.Identity{}
	if err := q.selectAll(ctx, &ids, `SELECT `+identityCols+` FROM user_identities WHERE user_id = ? ORDER BY created_at, provider`, userID); err != nil {
		return nil, fmt.Errorf("db: identities: %w", err)
	}
	for k := range ids {
		ids[k].CreatedAt = ids[k].CreatedAt.UTC()
	}
	return ids, nil
}

// AddIdentity links i; ErrDuplicateIdentity when its subject, or the
// user's identity at its provider, is linked already.
func (q queries) AddIdentity(ctx context.Context, i *auth.Identity) error {
	_, err := q.exec(ctx, `INSERT INTO user_identities (`+identityCols+`) VALUES (?, ?, ?, ?, ?)`,
		i.Provider, i.Subject, i.UserID, i.Email, i.CreatedAt.UTC())
	if isUniqueViolation(err) {
		return auth.ErrDuplicateIdentity
	}
	if err != nil {
		return fmt.Errorf("db: add identity: %w", err)
	}
	return nil
}

// DeleteIdentity unlinks a user's identity at provider.
func (q queries) DeleteIdentity(ctx context.Context, userID, provider string) (bool, error) {
	res, err := q.exec(ctx, `DELETE FROM user_identities WHERE user_id = ? AND provider = ?`, userID, provider)
	if err != nil {
		return false, fmt.Errorf("db: delete identity: %w", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// DeleteUserIdentities unlinks every identity of a user.
func (q queries) DeleteUserIdentities(ctx context.Context, userID string) (int, error) {
	res, err := q.exec(ctx, `DELETE FROM user_identities WHERE user_id = ?`, userID)
	if err != nil {
		return 0, fmt.Errorf("db: delete identities: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// CountIdentities counts a user's identities.
func (q queries) CountIdentities(ctx context.Context, userID string) (int, error) {
	var n int
	if err := q.get(ctx, &n, `SELECT COUNT(*) FROM user_identities WHERE user_id = ?`, userID); err != nil {
		return 0, fmt.Errorf("db: count identities: %w", err)
	}
	return n, nil
}

// usersByProvider counts the users with an identity at each provider.
func (q queries) usersByProvider(ctx context.Context) ([]auth.ProviderCount, error) {
	out := []auth.ProviderCount{}
	err := q.selectAll(ctx, &out, `SELECT provider, COUNT(DISTINCT user_id) AS users FROM user_identities GROUP BY provider ORDER BY provider`)
	if err != nil {
		return nil, fmt.Errorf("db: users by provider: %w", err)
	}
	return out, nil
}
