package db_test

import (
	"testing"
	"time"

	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/db"
	"github.com/gqlauth/gqlauth/db/dbtest"
)

// TestCanonicalEmailMigration: rows stored by an older release are brought
// to their canonical form when no other account shares it; accounts that
// share a mailbox, and emails that are now invalid, are reported and left
// exactly as they were.
func TestCanonicalEmailMigration(t *testing.T) {
	dbtest.ForEachStore(t, func(t *testing.T, url string) {
		s, err := db.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.MigrateToForTest(ctx, 5); err != nil {
			t.Fatal(err)
		}
		seed := func(email string, age int) *auth.User {
			u := &auth.User{ID: auth.NewID(), Email: email, PasswordHash: "$argon2id$x", Role: auth.RoleUser,
				CreatedAt: t0.Add(time.Duration(age) * time.Hour), UpdatedAt: t0}
			// The columns of schema version 5, not CreateUser's (a later
			// migration added some).
			_, err := s.DB().ExecContext(ctx, s.DB().Rebind(`INSERT INTO users (id, email, password_hash, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`),
				u.ID, u.Email, u.PasswordHash, string(u.Role), u.CreatedAt, u.UpdatedAt)
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		plain := seed("plain@example.com", 0)
		idn := seed("erin@bücher.de", 0)          // alone: rewritten to punycode
		wide := seed("\uff46rank@example.com", 0) // alone: folded
		bob, bobNFD := seed("bob\u00e9@example.com", 0), seed("bobe\u0301@example.com", 1)
		hidden := seed("da\u200bve@example.com", 0)

		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		r := s.EmailMigrationReport()
		if r == nil {
			t.Fatal("the migration did not run")
		}
		if len(r.Rewrites) != 2 || len(r.Collisions) != 1 || len(r.Invalid) != 1 {
			t.Fatalf("report = %+v", r)
		}
		if c := r.Collisions[0]; len(c.Users) != 2 || c.Users[0].ID != bob.ID || c.Users[1].ID != bobNFD.ID {
			t.Fatalf("collision = %+v", c)
		}
		if r.Invalid[0].ID != hidden.ID {
			t.Fatalf("invalid = %+v", r.Invalid)
		}
		want := map[string]string{
			plain.ID: "plain@example.com", idn.ID: "erin@xn--bcher-kva.de", wide.ID: "frank@example.com",
			bob.ID: bob.Email, bobNFD.ID: bobNFD.Email, hidden.ID: hidden.Email, // untouched
		}
		for id, email := range want {
			u, err := s.UserByID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if u.Email != email {
				t.Errorf("user %s: email %+q, want %+q", id, u.Email, email)
			}
		}
		// Rewritten accounts are found by any form of their address.
		if u, err := s.UserByEmail(ctx, "erin@xn--bcher-kva.de"); err != nil || u.ID != idn.ID {
			t.Fatalf("erin by canonical email: %v %v", u, err)
		}
		// Once applied, the migration does not run again.
		s2, err := db.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer s2.Close()
		if err := s2.Migrate(ctx); err != nil || s2.EmailMigrationReport() != nil {
			t.Fatalf("second migrate: %v, report %+v", err, s2.EmailMigrationReport())
		}
	})
}
