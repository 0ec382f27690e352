package auth

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// keyStore is what Keyring needs of the store.
type keyStore interface {
	txRunner
	// SigningKeys lists the keys in use or retired after retiredAfter.
	SigningKeys(ctx context.Context, retiredAfter time.Time) ([]PublishedKey, error)
}

// Keyring shares asymmetric signing keys between replicas through the
// store, so that every replica accepts, and the JWKS publishes, the keys
// whose tokens are still alive.
type Keyring struct {
	store  keyStore
	tokens *Tokens
	log    *slog.Logger
	now    func() time.Time
}

// Publish records the public half of the current asymmetric
// signing key in the store and retires the key it replaces. Tokens signed
// with a retired key keep verifying, on every replica, until the longest
// of them (a refresh token) has expired. HS256 secrets are never stored.
func (s *Keyring) Publish(ctx context.Context) error {
	k := s.tokens.SigningKey()
	if !k.Public() {
		return nil
	}
	pemText, err := k.PublicKeyPEM()
	if err != nil {
		return err
	}
	now := s.now().UTC()
	err = s.store.Tx(ctx, func(q Queries) error {
		return q.PublishSigningKey(ctx, &PublishedKey{ID: k.ID, Alg: k.Alg, PublicKey: pemText, CreatedAt: now}, now)
	})
	if err != nil {
		return fmt.Errorf("publish signing key: %w", err)
	}
	return nil
}

// Accepted loads the keys whose tokens may still be alive: the keys in
// use (by this replica or another, mid-rotation) and those retired less
// than a refresh-token lifetime (plus leeway) ago.
func (s *Keyring) Accepted(ctx context.Context) ([]*VerifyKey, error) {
	horizon := s.now().UTC().Add(-s.tokens.RefreshTTL() - s.tokens.cfg.Leeway)
	pks, err := s.store.SigningKeys(ctx, horizon)
	if err != nil {
		return nil, err
	}
	keys := make([]*VerifyKey, 0, len(pks))
	for _, pk := range pks {
		k, err := ParsePublicKey(pk.Alg, pk.PublicKey)
		if err != nil {
			s.log.ErrorContext(ctx, "stored signing key is unusable; skipped", "kid", pk.ID, "err", err)
			continue
		}
		if k.ID != pk.ID {
			s.log.ErrorContext(ctx, "stored signing key does not match its kid; skipped", "kid", pk.ID)
			continue
		}
		k.RetiredAt = pk.RetiredAt
		keys = append(keys, k)
	}
	return keys, nil
}

// Run reloads the accepted keys every interval until ctx ends, so
// that retired keys leave the JWKS once their tokens are gone and a key
// another replica started signing with appears in this one's JWKS.
func (s *Keyring) Run(ctx context.Context, interval time.Duration) {
	every(ctx, interval, func() {
		if err := s.tokens.Reload(ctx); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "reloading signing keys failed; keeping the previous set", "err", err)
		}
	})
}
