package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net"
	"net/url"
	"strings"
	"testing"
)

// TestPrepareCreatesMissingDatabase: a TEST_DATABASE_URL naming a database
// the server does not have yet works without set-up.
func TestPrepareCreatesMissingDatabase(t *testing.T) {
	if err := prepareOnce(); err != nil {
		if PostgresRequired() {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	u, err := url.Parse(BaseURL())
	if err != nil {
		t.Fatal(err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "gqlauth_prepare_" + hex.EncodeToString(b[:])
	u.Path = "/" + name
	admin, err := sql.Open("postgres", BaseURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	t.Cleanup(func() { // runs first
		if _, err := admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	for range 2 { // the second time it exists already
		if err := Prepare(context.Background(), u.String()); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := admin.QueryRow(`SELECT count(*) FROM pg_database WHERE datname = $1`, name).Scan(&n); err != nil || n != 1 {
		t.Fatalf("database %s: %d rows, %v", name, n, err)
	}
}

// TestPrepareUnreachableSaysWhatToSet: no server at TEST_DATABASE_URL is one
// line naming the variable, without the password.
func TestPrepareUnreachableSaysWhatToSet(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	err = Prepare(context.Background(), "postgres://app:hunter2@"+addr+"/test?sslmode=disable")
	if err == nil {
		t.Fatal("no error without a server")
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") || strings.Contains(msg, "hunter2") || !strings.Contains(msg, "set TEST_DATABASE_URL=postgres://USER:PASSWORD@") {
		t.Fatalf("error %q: want one line, no password, saying what to set", msg)
	}
}
