package db_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/db"
	"github.com/gqlauth/gqlauth/db/dbtest"
)

// 1203 rows: two full 500-row statements and a short one, in one call.
func TestBulkInsert(t *testing.T) {
	dbtest.ForEachStore(t, func(t *testing.T, url string) {
		s := dbtest.Open(t, url)
		users := make([]auth.User, 1203)
		revs := make([]db.Revocation, len(users))
		for i := range users {
			users[i] = auth.User{ID: auth.NewID(), Email: fmt.Sprintf("bulk-%d@example.com", i), PasswordHash: "$argon2id$x",
				Role: auth.RoleUser, CreatedAt: t0, UpdatedAt: t0}
			revs[i] = db.Revocation{JTI: auth.NewID(), UserID: users[i].ID, ExpiresAt: t0.Add(time.Hour), RevokedAt: t0}
		}
		if err := s.BulkInsertUsers(ctx, users); err != nil {
			t.Fatal(err)
		}
		if err := s.BulkInsertRevocations(ctx, revs); err != nil {
			t.Fatal(err)
		}
		if err := s.Analyze(ctx); err != nil {
			t.Fatal(err)
		}
		if st, err := s.Stats(ctx, t0, t0); err != nil || st.Users != len(users) || st.RevokedTokens != len(revs) {
			t.Fatalf("stats: %+v, %v", st, err)
		}
		for _, i := range []int{0, 499, 500, 1202} {
			u, err := s.UserByEmail(ctx, users[i].Email)
			if err != nil || u.ID != users[i].ID || !u.CreatedAt.Equal(t0) {
				t.Fatalf("user %d: %+v, %v", i, u, err)
			}
			sess := newSession(t, s, u.ID, t0.Add(time.Hour))
			st, err := s.TokenState(ctx, u.ID, sess.ID, revs[i].JTI, t0)
			if err != nil || !st.TokenRevoked {
				t.Fatalf("revocation %d: %+v, %v", i, st, err)
			}
		}
		// A failed load leaves nothing: the duplicate is in the last batch.
		dup := []auth.User{{ID: auth.NewID(), Email: "new@example.com", PasswordHash: "x", Role: auth.RoleUser, CreatedAt: t0, UpdatedAt: t0}, users[0]}
		if err := s.BulkInsertUsers(ctx, dup); err == nil {
			t.Fatal("duplicate id inserted")
		}
		if _, err := s.UserByEmail(ctx, "new@example.com"); err == nil {
			t.Fatal("a failed bulk insert left rows behind")
		}
		if v, err := s.Version(ctx); err != nil || v == "" {
			t.Fatalf("Version: %q, %v", v, err)
		}
	})
}
