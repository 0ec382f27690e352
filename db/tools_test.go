package db_test

import (
	"os"
	"strings"
	"testing"

	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/db"
	"github.com/gqlauth/gqlauth/db/dbtest"
)

func TestResetPostgresSchema(t *testing.T) {
	dbtest.PostgresURL(t) // skips (or fails in CI) without PostgreSQL
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		base = dbtest.DefaultPostgresURL
	}
	if _, err := db.ResetPostgresSchema(ctx, base, "x; DROP TABLE users"); err == nil {
		t.Fatal("a schema name that is not an identifier was accepted")
	}
	schema := "gqlauth_test_reset_" + strings.ToLower(auth.NewID()[:8])
	t.Cleanup(func() {
		if err := db.DropPostgresSchema(ctx, base, schema); err != nil {
			t.Error(err)
		}
	})
	for round := range 2 { // the second reset empties what the first filled
		url, err := db.ResetPostgresSchema(ctx, base, schema)
		if err != nil {
			t.Fatal(err)
		}
		s := dbtest.Open(t, url)
		if st, err := s.Stats(ctx, t0, t0); err != nil || st.Users != 0 {
			t.Fatalf("round %d: stats %+v, %v", round, st, err)
		}
		newUser(t, s, "reset@example.com")
		s.Close()
	}
}
