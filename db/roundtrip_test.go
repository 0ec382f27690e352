package db_test

import (
	"context"
	"database/sql"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/cache"
	"github.com/gqlauth/gqlauth/db"
	"github.com/gqlauth/gqlauth/db/dbtest"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// countingDialer counts the client's writes on every connection. lib/pq
// sends each batch of protocol messages with one write and then waits for
// the answer, so writes are round trips.
type countingDialer struct{ writes atomic.Int64 }

func (d *countingDialer) Dial(network, addr string) (net.Conn, error) {
	return d.DialTimeout(network, addr, 5*time.Second)
}

func (d *countingDialer) DialTimeout(network, addr string, timeout time.Duration) (net.Conn, error) {
	c, err := net.DialTimeout(network, addr, timeout)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, n: &d.writes}, nil
}

type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.n.Add(1)
	return c.Conn.Write(p)
}

// countingStore opens a PostgreSQL store whose connections count their
// round trips, and a service on it (behind the cache when cached).
func countingStore(t *testing.T, cached bool) (*countingDialer, *auth.Service) {
	t.Helper()
	_, dsn, err := db.ParseURLForTest(dbtest.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pq.NewConnector(dsn)
	if err != nil {
		t.Fatal(err)
	}
	dialer := &countingDialer{}
	conn.Dialer(dialer)
	x := sqlx.NewDb(sql.OpenDB(conn), "postgres")
	t.Cleanup(func() { x.Close() })
	store := db.NewStoreForTest(x, db.Postgres)
	if err := store.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: []byte("0123456789abcdef0123456789abcdef"), Issuer: "i", Audience: "a",
		AccessTTL: time.Minute, RefreshTTL: time.Hour}, nil)
	if err != nil {
		t.Fatal(err)
	}
	hasher, err := auth.NewHasher(auth.Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 1, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	var st auth.Store = store
	if cached {
		st = cache.New(store, cache.Options{Live: true})
	}
	return dialer, auth.NewService(st, tokens, hasher, auth.ServiceOptions{RateLimits: auth.RateLimits{PerAccount: 100, PerIP: 100, Window: time.Minute}})
}

// TestMeReadsNothingWhenCached measures on the wire that an authenticated
// request in the steady state costs no database round trip, while
// revocation and the current role are still enforced.
func TestMeReadsNothingWhenCached(t *testing.T) {
	dialer, svc := countingStore(t, true)
	ctx := context.Background()
	res, err := svc.Accounts.Register(ctx, "me@example.com", "password-123")
	if err != nil {
		t.Fatal(err)
	}
	reqCtx := auth.WithCredential(ctx, res.Access.Claims, nil)
	if _, err := svc.Accounts.Me(reqCtx); err != nil { // the first request fills the cache
		t.Fatal(err)
	}
	before := dialer.writes.Load()
	for range 100 {
		if _, err := svc.Accounts.Me(reqCtx); err != nil {
			t.Fatal(err)
		}
	}
	if n := dialer.writes.Load() - before; n != 0 {
		t.Fatalf("100 cached requests made %d round trips, want 0", n)
	}
	if err := svc.Sessions.Logout(reqCtx, false); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Accounts.Me(reqCtx); auth.ErrorCode(err) != auth.CodeUnauthenticated {
		t.Fatalf("after logout: %v", err)
	}
}

// TestRefreshRoundTrips measures, on the wire, what a refresh costs on
// PostgreSQL: the throttle check and one statement that rotates the
// session and returns the user (its own implicit transaction).
func TestRefreshRoundTrips(t *testing.T) {
	dialer, svc := countingStore(t, false)
	ctx := context.Background()
	res, err := svc.Accounts.Register(ctx, "rt@example.com", "password-123")
	if err != nil {
		t.Fatal(err)
	}
	raw := res.Refresh.Token
	for i := range 5 {
		before := dialer.writes.Load()
		next, err := svc.Sessions.Refresh(ctx, raw, nil)
		if err != nil {
			t.Fatal(err)
		}
		n := dialer.writes.Load() - before
		t.Logf("refresh %d: %d round trips", i, n)
		if n > 2 {
			t.Fatalf("refresh %d took %d round trips, want at most 2", i, n)
		}
		raw = next.Refresh.Token
	}
}
