package cache_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/cache"
	"github.com/gqlauth/gqlauth/db/dbtest"
)

// counting counts the TokenState reads that reach the real database.
type counting struct {
	cache.Base
	mu    sync.Mutex
	reads int
}

func (c *counting) TokenState(ctx context.Context, userID, sessionID, jti string, now time.Time) (*auth.TokenState, error) {
	c.mu.Lock()
	c.reads++
	c.mu.Unlock()
	return c.Base.TokenState(ctx, userID, sessionID, jti, now)
}

func (c *counting) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reads
}

// seed creates a user with one session and returns their ids.
func seed(t *testing.T, s auth.Store, email string) (user, session string) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	u := &auth.User{ID: auth.NewID(), Email: email, PasswordHash: "$argon2id$x", Role: auth.RoleUser, CreatedAt: now, UpdatedAt: now}
	sess := &auth.Session{ID: auth.NewID(), UserID: u.ID, RefreshJTI: auth.NewID(), CreatedAt: now, LastUsedAt: now, ExpiresAt: now.Add(time.Hour)}
	err := s.Tx(ctx, func(q auth.Queries) error {
		if err := q.CreateUser(ctx, u); err != nil {
			return err
		}
		return q.CreateSession(ctx, sess)
	})
	if err != nil {
		t.Fatal(err)
	}
	return u.ID, sess.ID
}

// TestSteadyStateReadsNothing: after the first request, a token's state
// comes from memory, until one of its rows changes through the cache.
func TestSteadyStateReadsNothing(t *testing.T) {
	dbtest.ForEachStore(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		base := &counting{Base: dbtest.Open(t, dbURL)}
		c := cache.New(base, cache.Options{Entries: 100, Live: true})
		uid, sid := seed(t, c, "a@example.com")
		jti := auth.NewID()
		state := func() *auth.TokenState {
			t.Helper()
			st, err := c.TokenState(ctx, uid, sid, jti, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			return st
		}
		for range 100 {
			if st := state(); st.User == nil || st.SessionEnded || st.TokenRevoked || st.User.Role != auth.RoleUser {
				t.Fatalf("state %+v", st)
			}
		}
		if n := base.count(); n != 1 {
			t.Fatalf("100 requests read the database %d times, want 1", n)
		}
		if st := state(); st.User.PasswordHash != "" {
			t.Fatal("the cache keeps password hashes")
		}

		// Each kind of change is seen on the very next request.
		now := time.Now().UTC()
		changes := []struct {
			name  string
			write func(q auth.Queries) error
			check func(*auth.TokenState) bool
		}{
			{"role", func(q auth.Queries) error { return q.SetUserRole(ctx, uid, auth.RoleAdmin, now) },
				func(st *auth.TokenState) bool { return st.User.Role == auth.RoleAdmin }},
			{"revoked jti", func(q auth.Queries) error { return q.RevokeToken(ctx, jti, uid, now.Add(time.Hour), now) },
				func(st *auth.TokenState) bool { return st.TokenRevoked }},
			{"ended session", func(q auth.Queries) error { _, err := q.RevokeUserSessions(ctx, uid, "", now); return err },
				func(st *auth.TokenState) bool { return st.SessionEnded }},
			{"disabled", func(q auth.Queries) error { return q.SetUserDisabled(ctx, uid, true, now) },
				func(st *auth.TokenState) bool { return st.User.Disabled() }},
		}
		for _, ch := range changes {
			before := base.count()
			if err := c.Tx(ctx, ch.write); err != nil {
				t.Fatal(err)
			}
			if !ch.check(state()) {
				t.Fatalf("%s: change not seen", ch.name)
			}
			state()
			if n := base.count() - before; n != 1 {
				t.Fatalf("%s: %d database reads for two requests, want 1", ch.name, n)
			}
		}
		st := c.CacheStats()
		if st.Hits == 0 || st.Misses != 5 || st.Evictions < 4 || st.Users != 1 {
			t.Fatalf("stats %+v", st)
		}
	})
}

// TestNotLiveReadsThrough: a cache that does not hear changes (its
// listener is down) answers every request from the database.
func TestNotLiveReadsThrough(t *testing.T) {
	base := &counting{Base: dbtest.Open(t, dbtest.SQLiteURL(t))}
	c := cache.New(base, cache.Options{Entries: 100, Live: true})
	uid, sid := seed(t, c, "b@example.com")
	for range 3 {
		c.TokenState(context.Background(), uid, sid, "j", time.Now())
	}
	c.SetLive(false)
	if st := c.CacheStats(); st.Users != 0 || st.Live {
		t.Fatalf("going down did not flush: %+v", st)
	}
	before := base.count()
	for range 3 {
		c.TokenState(context.Background(), uid, sid, "j", time.Now())
	}
	if n := base.count() - before; n != 3 {
		t.Fatalf("bypassed cache read the database %d times for 3 requests", n)
	}
}

// TestResyncRepairsMissedChanges: a change made behind the cache's back
// (another process) is found by the resync.
func TestResyncRepairsMissedChanges(t *testing.T) {
	dbtest.ForEachStore(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		store := dbtest.Open(t, dbURL)
		c := cache.New(store, cache.Options{Entries: 100, Live: true})
		uid, sid := seed(t, c, "c@example.com")
		c.TokenState(ctx, uid, sid, "j", time.Now())
		since := time.Now()
		// Straight to the database, as the CLI in another process would.
		if err := store.Tx(ctx, func(q auth.Queries) error { return q.SetUserRole(ctx, uid, auth.RoleAdmin, time.Now().UTC()) }); err != nil {
			t.Fatal(err)
		}
		st, _ := c.TokenState(ctx, uid, sid, "j", time.Now())
		if st.User.Role != auth.RoleUser {
			t.Fatal("the test's premise failed: the cache saw a change made behind it")
		}
		if err := c.Resync(ctx, since.Add(-cache.ResyncMargin)); err != nil {
			t.Fatal(err)
		}
		if st, _ := c.TokenState(ctx, uid, sid, "j", time.Now()); st.User.Role != auth.RoleAdmin {
			t.Fatal("resync did not repair the stale role")
		}
	})
}

// TestListenerDropFlushesAndRecovers: on PostgreSQL, a change made by
// another replica arrives by NOTIFY; when the listening connection is
// killed the cache goes into read-through until the listener is back.
func TestListenerDropFlushesAndRecovers(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	appName := fmt.Sprintf("gqlauth-listen-test-%d", time.Now().UnixNano())
	u, _ := url.Parse(dbtest.PostgresURL(t))
	q := u.Query()
	q.Set("application_name", appName)
	u.RawQuery = q.Encode()
	replicaA := dbtest.Open(t, u.String())
	replicaB := dbtest.Open(t, u.String())
	c := cache.New(replicaB, cache.Options{Entries: 100})
	lives := make(chan bool, 10)
	go replicaB.Listen(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), c.Apply, func(live bool) {
		c.SetLive(live)
		lives <- live
	})
	waitLive := func(want bool) {
		t.Helper()
		select {
		case got := <-lives:
			if got != want {
				t.Fatalf("live = %v, want %v", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("listener never went live=%v", want)
		}
	}
	waitLive(true)

	uid, sid := seed(t, replicaA, "d@example.com")
	c.TokenState(ctx, uid, sid, "j", time.Now())
	if err := replicaA.Tx(ctx, func(q auth.Queries) error { return q.RevokeSession(ctx, sid, time.Now().UTC()) }); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Second)
	for {
		st, _ := c.TokenState(ctx, uid, sid, "j", time.Now())
		if st.SessionEnded {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the other replica's logout did not arrive within 1s")
		}
		time.Sleep(5 * time.Millisecond)
	}

	// Kill the listening connection (only ours: the application_name is unique).
	var killed int
	if err := replicaA.DB().GetContext(ctx, &killed, `SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = $1 AND query LIKE 'LISTEN%') k`, appName); err != nil || killed != 1 {
		t.Fatalf("terminated %d listeners (%v)", killed, err)
	}
	waitLive(false)
	waitLive(true) // lib/pq reconnects and listens again
	if !c.Live() {
		t.Fatal("cache not live after the listener came back")
	}
}
