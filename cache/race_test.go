package cache_test

import (
	"context"
	"testing"
	"time"

	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/cache"
	"github.com/gqlauth/gqlauth/db"
	"github.com/gqlauth/gqlauth/db/dbtest"
)

// pausing hands each TokenState read's answer to the test and waits for
// it to let the read go on, so that a change can land between the
// database's answer and the cache's fill.
type pausing struct {
	cache.Base
	read, resume chan struct{}
}

func (p *pausing) TokenState(ctx context.Context, userID, sessionID, jti string, now time.Time) (*auth.TokenState, error) {
	st, err := p.Base.TokenState(ctx, userID, sessionID, jti, now)
	p.read <- struct{}{}
	<-p.resume
	return st, err
}

// TestReadRacingAChangeDoesNotRefill: a read that began before a logout
// and ends after it holds the state before the logout; if it filled the
// cache, the ended session would be served as live from memory until the
// entry aged out.
func TestReadRacingAChangeDoesNotRefill(t *testing.T) {
	base := dbtest.Open(t, dbtest.SQLiteURL(t))
	p := &pausing{Base: base, read: make(chan struct{}), resume: make(chan struct{})}
	c := cache.New(p, cache.Options{Entries: 100, Live: true})
	uid, sid := seed(t, base, "race@example.com")
	ctx := context.Background()

	done := make(chan *auth.TokenState)
	go func() {
		st, _ := c.TokenState(ctx, uid, sid, "j", time.Now())
		done <- st
	}()
	<-p.read // the database answered: the session is live
	if err := base.Tx(ctx, func(q auth.Queries) error { return q.RevokeSession(ctx, sid, time.Now().UTC()) }); err != nil {
		t.Fatal(err)
	}
	c.Apply(db.Change{Kind: db.ChangeSession, ID: sid}) // as the listener would
	p.resume <- struct{}{}
	if st := <-done; st.SessionEnded {
		t.Fatal("the raced read saw the logout; the race was not set up")
	}

	go func() {
		for range p.read { // later reads go straight through
			p.resume <- struct{}{}
		}
	}()
	defer close(p.read)
	st, err := c.TokenState(ctx, uid, sid, "j", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !st.SessionEnded {
		t.Fatal("a read that raced the logout refilled the cache: the ended session is served as live")
	}
}
