package db

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/lib/pq"
)

// ChangeKind says what kind of cached row changed.
type ChangeKind byte

// The kinds of change a cache must hear of.
const (
	ChangeUser    ChangeKind = 'u' // role, disabled state, password or email; or deleted
	ChangeSession ChangeKind = 's' // ended (revoked or deleted)
	ChangeToken   ChangeKind = 't' // a jti was revoked
)

// Change names one row that changed, as announced between replicas.
type Change struct {
	Kind ChangeKind
	ID   string
}

// ParseChange reads a change announcement ("u:<id>", "s:<id>", "t:<jti>").
func ParseChange(s string) (Change, bool) {
	if len(s) < 3 || s[1] != ':' {
		return Change{}, false
	}
	switch k := ChangeKind(s[0]); k {
	case ChangeUser, ChangeSession, ChangeToken:
		return Change{Kind: k, ID: s[2:]}, true
	}
	return Change{}, false
}

// ChangedSince lists what changed at or after since, in one round trip
// through the *_updated_at / *_revoked_at indexes.
func (q queries) ChangedSince(ctx context.Context, since time.Time) ([]Change, error) {
	var rows []struct {
		Kind string `db:"kind"`
		ID   string `db:"id"`
	}
	t := since.UTC()
	err := q.selectAll(ctx, &rows, `SELECT 'u' AS kind, id FROM users WHERE updated_at >= ?
		UNION ALL SELECT 's', id FROM sessions WHERE revoked_at >= ?
		UNION ALL SELECT 't', jti FROM revoked_tokens WHERE revoked_at >= ?`, t, t, t)
	if err != nil {
		return nil, fmt.Errorf("db: changes since %s: %w", t.Format(time.RFC3339), err)
	}
	out := make([]Change, len(rows))
	for i, r := range rows {
		out[i] = Change{Kind: ChangeKind(r.Kind[0]), ID: r.ID}
	}
	return out, nil
}

// ChangeChannel is the PostgreSQL channel the change triggers notify.
const ChangeChannel = "gqlauth_changes"

// Listen hears the changes other replicas (or anyone) make, on a
// connection of its own, until ctx ends. live(true) is called once it
// listens and again after each reconnection; live(false) when the
// connection is lost, because changes made meanwhile go unheard. Only
// PostgreSQL has LISTEN: on SQLite, Listen returns at once without
// calling anything.
func (s *Store) Listen(ctx context.Context, log *slog.Logger, apply func(Change), live func(bool)) {
	if s.dialect != Postgres {
		return
	}
	events := func(ev pq.ListenerEventType, err error) {
		switch ev {
		case pq.ListenerEventConnected, pq.ListenerEventReconnected:
			live(true)
		case pq.ListenerEventDisconnected:
			log.Warn("change listener disconnected; caches bypassed until it is back", "err", err)
			live(false)
		case pq.ListenerEventConnectionAttemptFailed:
			log.Debug("change listener cannot connect yet", "err", err)
		}
	}
	l := pq.NewListener(s.dsn, 100*time.Millisecond, 5*time.Second, events)
	defer l.Close()
	if err := l.Listen(ChangeChannel); err != nil {
		// NewListener keeps reconnecting and re-listening on its own; an
		// error here is only the first attempt's.
		log.Warn("change listener not listening yet", "err", err)
	}
	// A quiet connection can die unnoticed; pinging finds out.
	ping := time.NewTicker(10 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case n := <-l.Notify:
			if n == nil {
				continue // a reconnection; the event callback handled it
			}
			if c, ok := ParseChange(n.Extra); ok {
				apply(c)
			}
		case <-ping.C:
			_ = l.Ping()
		}
	}
}
