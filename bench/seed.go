package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/db"
)

// benchPassword is every seeded user's password.
const benchPassword = "correct horse battery staple"

// seedChunk is how many rows go in one transaction: big enough that commits
// are rare, small enough that the bench never holds a million structs.
const seedChunk = 10_000

// seedEmail is seeded user i's address; login workers derive it from i.
func seedEmail(i int) string { return fmt.Sprintf("bench-%07d@example.com", i) }

// seed migrates the store at databaseURL and inserts users accounts sharing
// one argon2id hash of benchPassword at params, and as many revoked tokens
// (with expiry in the future, so that the blocklist lookup of every
// authenticated request searches all of them). Hashing each user's password
// would take hours at a million; one real PHC string costs one hash and
// verifies exactly like a per-user one.
// It returns the database's version, for the report.
func seed(ctx context.Context, databaseURL string, params auth.Argon2Params, users int, progress io.Writer) (string, error) {
	store, err := db.Open(ctx, databaseURL)
	if err != nil {
		return "", err
	}
	defer store.Close()
	if err := store.Migrate(ctx); err != nil {
		return "", err
	}
	version, err := store.Version(ctx)
	if err != nil {
		return "", err
	}
	h, err := auth.NewHasher(params, 1, 0, nil)
	if err != nil {
		return "", err
	}
	hash, err := h.Hash(ctx, benchPassword)
	if err != nil {
		return "", err
	}
	now := time.Now().UTC()
	start := time.Now()
	batch := make([]auth.User, 0, seedChunk)
	revs := make([]db.Revocation, 0, seedChunk)
	for lo := 0; lo < users; lo += seedChunk {
		hi := min(lo+seedChunk, users)
		batch, revs = batch[:0], revs[:0]
		for i := lo; i < hi; i++ {
			// Creation times one millisecond apart keep the (created_at, id)
			// index as it would be after real sign-ups.
			at := now.Add(time.Duration(i-users) * time.Millisecond)
			u := auth.User{ID: auth.NewID(), Email: seedEmail(i), PasswordHash: hash, Role: auth.RoleUser, CreatedAt: at, UpdatedAt: at}
			batch = append(batch, u)
			revs = append(revs, db.Revocation{JTI: auth.NewID(), UserID: u.ID, ExpiresAt: now.Add(24 * time.Hour), RevokedAt: now})
		}
		if err := store.BulkInsertUsers(ctx, batch); err != nil {
			return "", err
		}
		if err := store.BulkInsertRevocations(ctx, revs); err != nil {
			return "", err
		}
		if users > seedChunk && (hi%100_000 == 0 || hi == users) {
			fmt.Fprintf(progress, "  seeded %d/%d users and revocations (%s)\n", hi, users, time.Since(start).Round(time.Second))
		}
	}
	return version, store.Analyze(ctx)
}
