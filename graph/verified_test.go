package graph

import (
	"context"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/db/dbtest"
)

// TestVerifiedDirective: @verified lets a caller through only once their
// address is verified, reads it from the database on each call (not from
// the token), and implies @auth. The schema's own fields do not carry it
// yet, so the directive is called as gqlgen calls it, over a real store.
func TestVerifiedDirective(t *testing.T) {
	dbtest.ForEachStore(t, func(t *testing.T, url string) {
		ctx := context.Background()
		store := dbtest.Open(t, url)
		now := time.Now().UTC()
		u := &auth.User{ID: auth.NewID(), Email: "ada@example.com", PasswordHash: "$argon2id$x", Role: auth.RoleUser, CreatedAt: now, UpdatedAt: now}
		if err := store.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		sess := &auth.Session{ID: auth.NewID(), UserID: u.ID, RefreshJTI: auth.NewID(), CreatedAt: now, LastUsedAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := store.CreateSession(ctx, sess); err != nil {
			t.Fatal(err)
		}
		svc := &auth.Service{Guard: auth.NewGuard(store, time.Now)}
		verified := Directives(svc, nil).Verified
		ran := 0
		next := func(ctx context.Context) (any, error) { ran++; return true, nil }

		if _, err := verified(ctx, nil, next); auth.ErrorCode(err) != auth.CodeUnauthenticated {
			t.Fatalf("without a token: %v", err)
		}
		claims := &auth.Claims{RegisteredClaims: jwt.RegisteredClaims{Subject: u.ID, ID: auth.NewID()}, SessionID: sess.ID, Role: auth.RoleUser}
		caller := auth.WithCredential(ctx, claims, nil)
		if _, err := verified(caller, nil, next); auth.ErrorCode(err) != auth.CodeEmailNotVerified {
			t.Fatalf("unverified: %v", err)
		}
		if err := store.SetEmailVerified(ctx, u.ID, now); err != nil {
			t.Fatal(err)
		}
		if _, err := verified(caller, nil, next); err != nil || ran != 1 {
			t.Fatalf("verified: %v (resolver ran %d times)", err, ran)
		}
	})
}
