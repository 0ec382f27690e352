package db_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/db"
	"github.com/gqlauth/gqlauth/db/dbtest"
)

var ctx = context.Background()

// t0 is a fixed instant with a sub-second part, to catch time truncation.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 123456000, time.UTC)

func newUser(t *testing.T, s *db.Store, email string) *auth.User {
	t.Helper()
	u := &auth.User{ID: auth.NewID(), Email: email, PasswordHash: "$argon2id$x", Role: auth.RoleUser, CreatedAt: t0, UpdatedAt: t0}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	return u
}

func newSession(t *testing.T, s *db.Store, userID string, expires time.Time) *auth.Session {
	t.Helper()
	sess := &auth.Session{ID: auth.NewID(), UserID: userID, RefreshJTI: auth.NewID(), CreatedAt: t0, LastUsedAt: t0, ExpiresAt: expires, UserAgent: "ua", IP: "127.0.0.1"}
	if err := s.CreateSession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	return sess
}

func TestMigrations(t *testing.T) {
	dbtest.ForEachStore(t, func(t *testing.T, url string) {
		s, err := db.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if pending, err := s.MigrationsPending(ctx); err != nil || !pending {
			t.Fatalf("fresh database: pending = %v, %v", pending, err)
		}
		for range 2 { // the second run is a no-op
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if pending, err := s.MigrationsPending(ctx); err != nil || pending {
			t.Fatalf("after Migrate: pending = %v, %v", pending, err)
		}
	})
}

func TestOpenRejectsUnknownURLsWithoutLeakingPasswords(t *testing.T) {
	_, err := db.Open(ctx, "mysql://root:hunter2@localhost/x")
	if err == nil {
		t.Fatal("opened a mysql URL")
	}
	_, err = db.Open(ctx, "postgres://u:hunter2@127.0.0.1:1/x?sslmode=disable&connect_timeout=1")
	if err == nil {
		t.Fatal("connected to port 1")
	}
	if s := err.Error(); strings.Contains(s, "hunter2") {
		t.Fatalf("password in error: %s", s)
	}
}

func TestUsers(t *testing.T) {
	dbtest.ForEachStore(t, func(t *testing.T, url string) {
		s := dbtest.Open(t, url)
		u := newUser(t, s, "a@x.io")
		got, err := s.UserByID(ctx, u.ID)
		if err != nil || got.Email != "a@x.io" || got.Role != auth.RoleUser || !got.CreatedAt.Equal(t0) {
			t.Fatalf("UserByID = %+v, %v", got, err)
		}
		if got, err := s.UserByEmail(ctx, "A@X.IO"); err != nil || got.ID != u.ID {
			t.Fatalf("UserByEmail = %+v, %v", got, err)
		}
		dup := &auth.User{ID: auth.NewID(), Email: "A@X.IO", PasswordHash: "h", Role: auth.RoleUser, CreatedAt: t0, UpdatedAt: t0}
		if err := s.CreateUser(ctx, dup); !errors.Is(err, auth.ErrDuplicateEmail) {
			t.Fatalf("duplicate email: %v", err)
		}
		if _, err := s.UserByID(ctx, "nope"); !errors.Is(err, auth.ErrNotFound) {
			t.Fatalf("missing id: %v", err)
		}
		if _, err := s.UserByEmail(ctx, "nope@x.io"); !errors.Is(err, auth.ErrNotFound) {
			t.Fatalf("missing email: %v", err)
		}
		if err := s.SetUserRole(ctx, u.ID, auth.RoleAdmin, t0.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := s.SetUserRole(ctx, "nope", auth.RoleAdmin, t0); !errors.Is(err, auth.ErrNotFound) {
			t.Fatalf("role of missing user: %v", err)
		}
		if err := s.SetPasswordHash(ctx, u.ID, "new-hash", t0.Add(2*time.Second)); err != nil {
			t.Fatal(err)
		}
		got, _ = s.UserByID(ctx, u.ID)
		if got.Role != auth.RoleAdmin || got.PasswordHash != "new-hash" || !got.UpdatedAt.Equal(t0.Add(2*time.Second)) {
			t.Fatalf("after updates: %+v", got)
		}
	})
}

func TestConcurrentCreateUserOneWins(t *testing.T) {
	dbtest.ForEachStore(t, func(t *testing.T, url string) {
		s := dbtest.Open(t, url)
		const n = 10
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = s.CreateUser(ctx, &auth.User{ID: auth.NewID(), Email: "race@x.io", PasswordHash: "h", Role: auth.RoleUser, CreatedAt: t0, UpdatedAt: t0})
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, auth.ErrDuplicateEmail):
				t.Errorf("unexpected error: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d inserts succeeded, want 1", ok)
		}
	})
}

func TestSessionsAndTokenState(t *testing.T) {
	dbtest.ForEachStore(t, func(t *testing.T, url string) {
		s := dbtest.Open(t, url)
		u := newUser(t, s, "a@x.io")
		other := newUser(t, s, "b@x.io")
		now := t0.Add(time.Minute)
		live := newSession(t, s, u.ID, now.Add(time.Hour))

		got, err := s.SessionForUpdate(ctx, live.ID)
		if err != nil || got.RefreshJTI != live.RefreshJTI || got.PrevRefreshJTI != nil || got.RotatedAt != nil || !got.ExpiresAt.Equal(now.Add(time.Hour)) {
			t.Fatalf("SessionForUpdate = %+v, %v", got, err)
		}
		prev := got.RefreshJTI
		got.PrevRefreshJTI, got.RotatedAt, got.RefreshJTI = &prev, &now, "next"
		if err := s.UpdateSession(ctx, got); err != nil {
			t.Fatal(err)
		}
		again, _ := s.SessionForUpdate(ctx, live.ID)
		if again.RefreshJTI != "next" || again.PrevRefreshJTI == nil || *again.PrevRefreshJTI != prev || !again.RotatedAt.Equal(now) {
			t.Fatalf("after UpdateSession: %+v", again)
		}
		if _, err := s.SessionForUpdate(ctx, "nope"); !errors.Is(err, auth.ErrNotFound) {
			t.Fatalf("missing session: %v", err)
		}

		state := func(userID, sid, jti string) auth.TokenState {
			t.Helper()
			st, err := s.TokenState(ctx, userID, sid, jti, now)
			if err != nil {
				t.Fatal(err)
			}
			return *st
		}
		if st := state(u.ID, live.ID, "j1"); st.User == nil || st.User.ID != u.ID || st.SessionEnded || st.TokenRevoked {
			t.Fatalf("live token: %+v", st)
		}
		if st := state("ghost", live.ID, "j1"); st.User != nil || !st.SessionEnded {
			t.Fatalf("missing user: %+v", st)
		}
		if st := state(u.ID, "nope", "j1"); !st.SessionEnded {
			t.Fatalf("missing session: %+v", st)
		}
		if st := state(other.ID, live.ID, "j1"); !st.SessionEnded {
			t.Fatalf("another user's session: %+v", st)
		}
		expired := newSession(t, s, u.ID, now)
		if st := state(u.ID, expired.ID, "j1"); !st.SessionEnded {
			t.Fatalf("expired session: %+v", st)
		}
		if err := s.RevokeToken(ctx, "j1", u.ID, now.Add(time.Minute), now); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeToken(ctx, "j1", u.ID, now.Add(time.Minute), now); err != nil {
			t.Fatalf("revoking twice: %v", err)
		}
		if err := s.RevokeToken(ctx, "old", u.ID, now, now); err != nil {
			t.Fatal(err)
		}
		if st := state(u.ID, live.ID, "j1"); !st.TokenRevoked {
			t.Fatalf("revoked jti: %+v", st)
		}
		if st := state(u.ID, live.ID, "old"); st.TokenRevoked {
			t.Fatalf("expired revocation still counts: %+v", st)
		}

		// RevokeUserSessions spares keepID and counts only active sessions.
		s2 := newSession(t, s, u.ID, now.Add(time.Hour))
		s3 := newSession(t, s, u.ID, now.Add(time.Hour))
		n, err := s.RevokeUserSessions(ctx, u.ID, s3.ID, now)
		if err != nil || n != 2 { // live and s2; expired is not active
			t.Fatalf("RevokeUserSessions = %d, %v; want 2", n, err)
		}
		if st := state(u.ID, s2.ID, "j2"); !st.SessionEnded {
			t.Fatal("s2 survived")
		}
		if st := state(u.ID, s3.ID, "j2"); st.SessionEnded {
			t.Fatal("kept session ended")
		}
		if err := s.RevokeSession(ctx, s3.ID, now); err != nil {
			t.Fatal(err)
		}
		if st := state(u.ID, s3.ID, "j2"); !st.SessionEnded {
			t.Fatal("RevokeSession did not end s3")
		}
	})
}

func TestTxRollsBack(t *testing.T) {
	dbtest.ForEachStore(t, func(t *testing.T, url string) {
		s := dbtest.Open(t, url)
		boom := errors.New("boom")
		err := s.Tx(ctx, func(q auth.Queries) error {
			if err := q.CreateUser(ctx, &auth.User{ID: "r1", Email: "r1@x.io", PasswordHash: "h", Role: auth.RoleUser, CreatedAt: t0, UpdatedAt: t0}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Tx = %v", err)
		}
		if _, err := s.UserByID(ctx, "r1"); !errors.Is(err, auth.ErrNotFound) {
			t.Fatalf("row survived an error: %v", err)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Error("panic swallowed")
				}
			}()
			_ = s.Tx(ctx, func(q auth.Queries) error {
				_ = q.CreateUser(ctx, &auth.User{ID: "r2", Email: "r2@x.io", PasswordHash: "h", Role: auth.RoleUser, CreatedAt: t0, UpdatedAt: t0})
				panic("boom")
			})
		}()
		if _, err := s.UserByID(ctx, "r2"); !errors.Is(err, auth.ErrNotFound) {
			t.Fatalf("row survived a panic: %v", err)
		}
		// The pool is still usable: no connection leaked in a broken state.
		newUser(t, s, "after@x.io")
	})
}

// TestSessionLockSerializesRotation: racing read-modify-write transactions
// on one session see each other's writes, never the same old value.
func TestSessionLockSerializesRotation(t *testing.T) {
	dbtest.ForEachStore(t, func(t *testing.T, url string) {
		s := dbtest.Open(t, url)
		u := newUser(t, s, "a@x.io")
		sess := newSession(t, s, u.ID, t0.Add(time.Hour))
		original := sess.RefreshJTI
		const n = 8
		var mu sync.Mutex
		sawOriginal := 0
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := s.Tx(ctx, func(q auth.Queries) error {
					cur, err := q.SessionForUpdate(ctx, sess.ID)
					if err != nil {
						return err
					}
					if cur.RefreshJTI == original {
						mu.Lock()
						sawOriginal++
						mu.Unlock()
					}
					time.Sleep(5 * time.Millisecond) // widen the race window
					cur.RefreshJTI = fmt.Sprintf("jti-%d", i)
					return q.UpdateSession(ctx, cur)
				})
				if err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if sawOriginal != 1 {
			t.Fatalf("%d transactions saw the original jti, want 1", sawOriginal)
		}
	})
}

func TestStatsAndPrune(t *testing.T) {
	dbtest.ForEachStore(t, func(t *testing.T, url string) {
		s := dbtest.Open(t, url)
		now := t0.Add(48 * time.Hour)
		a := newUser(t, s, "a@x.io")
		b := newUser(t, s, "b@x.io")
		if err := s.SetUserRole(ctx, b.ID, auth.RoleAdmin, now); err != nil {
			t.Fatal(err)
		}
		if err := s.SetEmailVerified(ctx, b.ID, now); err != nil { // a stays unverified
			t.Fatal(err)
		}
		newSession(t, s, a.ID, now.Add(time.Hour))                                                               // active
		newSession(t, s, a.ID, now.Add(-time.Second))                                                            // expired: pruned
		recent := newSession(t, s, b.ID, now.Add(time.Hour))                                                     // revoked an hour ago: kept
		old := newSession(t, s, b.ID, now.Add(time.Hour))                                                        // revoked two days ago: pruned
		_ = s.RevokeSession(ctx, recent.ID, now.Add(-time.Hour))                                                 //
		_ = s.RevokeSession(ctx, old.ID, now.Add(-48*time.Hour))                                                 //
		_ = s.RevokeToken(ctx, "live", a.ID, now.Add(time.Minute), now)                                          // counted, kept
		_ = s.RevokeToken(ctx, "dead", a.ID, now.Add(-time.Minute), now)                                         // pruned
		if _, err := s.ThrottleHits(ctx, []string{"old-window"}, time.Minute, now.Add(-time.Hour)); err != nil { // pruned
			t.Fatal(err)
		}
		if _, err := s.ThrottleHits(ctx, []string{"live-window"}, time.Hour, now); err != nil { // kept
			t.Fatal(err)
		}
		uid := a.ID
		for _, e := range []auth.AuditEvent{
			{At: now.Add(-time.Hour), Type: auth.EventLoginSucceeded, UserID: &uid},
			{At: now.Add(-2 * time.Hour), Type: auth.EventLoginSucceeded, UserID: &uid},
			{At: now.Add(-25 * time.Hour), Type: auth.EventLoginSucceeded, UserID: &uid}, // outside the day
			{At: now.Add(-time.Minute), Type: auth.EventLoginFailed, Email: "x@x.io"},
		} {
			if err := s.AddAuditEvent(ctx, &e); err != nil {
				t.Fatal(err)
			}
		}
		for _, i := range []auth.Identity{{Provider: "google", Subject: "a", UserID: a.ID}, {Provider: "google", Subject: "b", UserID: b.ID},
			{Provider: "corp", Subject: "a", UserID: a.ID}} {
			i.CreatedAt = now
			if err := s.AddIdentity(ctx, &i); err != nil {
				t.Fatal(err)
			}
		}
		st, err := s.Stats(ctx, now, now.Add(-24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		want := auth.Stats{Users: 2, Admins: 1, ActiveSessions: 1, RevokedTokens: 1, LoginsLast24h: 2, FailedLoginsLast24h: 1, UnverifiedUsers: 1,
			UsersByProvider: []auth.ProviderCount{{Provider: "corp", Users: 1}, {Provider: "google", Users: 2}}}
		if !reflect.DeepEqual(*st, want) {
			t.Fatalf("Stats = %+v, want %+v", *st, want)
		}
		// 1 revocation, 1 throttle, 2 sessions and the audit event older than a day.
		n, err := s.Prune(ctx, now, now.Add(-24*time.Hour))
		if err != nil || n != 5 {
			t.Fatalf("Prune = %d, %v; want 5 rows", n, err)
		}
		if c, _, _ := s.ThrottleCount(ctx, "live-window", now); c != 1 {
			t.Fatalf("live throttle count = %d after pruning", c)
		}
		if st, _ := s.Stats(ctx, now, now.Add(-100*time.Hour)); st.LoginsLast24h != 2 {
			t.Fatalf("audit events left: %d logins, want 2", st.LoginsLast24h)
		}
		if n, _ := s.Prune(ctx, now, now.Add(-24*time.Hour)); n != 0 {
			t.Fatalf("second Prune removed %d rows", n)
		}
		if _, err := s.SessionForUpdate(ctx, recent.ID); err != nil {
			t.Fatalf("recently revoked session pruned: %v", err)
		}
		if _, err := s.SessionForUpdate(ctx, old.ID); !errors.Is(err, auth.ErrNotFound) {
			t.Fatalf("old revoked session kept: %v", err)
		}
	})
}
