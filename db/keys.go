package db

import (
	"context"
	"fmt"
	"time"

	"github.com/gqlauth/gqlauth/auth"
)

// PublishSigningKey upserts k as the key in use and retires the others.
// The service calls it inside a transaction: both statements or neither.
func (q queries) PublishSigningKey(ctx context.Context, k *auth.PublishedKey, now time.Time) error {
	if _, err := q.exec(ctx, `INSERT INTO signing_keys (kid, alg, public_key, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (kid) DO UPDATE SET retired_at = NULL`, k.ID, k.Alg, k.PublicKey, now.UTC()); err != nil {
		return fmt.Errorf("db: publish signing key: %w", err)
	}
	if _, err := q.exec(ctx, `UPDATE signing_keys SET retired_at = ? WHERE kid <> ? AND retired_at IS NULL`,
		now.UTC(), k.ID); err != nil {
		return fmt.Errorf("db: retire signing keys: %w", err)
	}
	return nil
}

// SigningKeys lists the keys in use and those retired after retiredAfter.
func (q queries) SigningKeys(ctx context.Context, retiredAfter time.Time) ([]auth.PublishedKey, error) {
	var ks []auth.PublishedKey
	if err := q.selectAll(ctx, &ks, `SELECT kid, alg, public_key, created_at, retired_at FROM signing_keys
		WHERE retired_at IS NULL OR retired_at > ? ORDER BY created_at DESC, kid`, retiredAfter.UTC()); err != nil {
		return nil, fmt.Errorf("db: signing keys: %w", err)
	}
	for i := range ks {
		ks[i].CreatedAt = ks[i].CreatedAt.UTC()
		ks[i].RetiredAt = utcPtr(ks[i].RetiredAt)
	}
	return ks, nil
}
