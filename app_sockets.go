package main

import (
	"context"
	"time"

	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/cache"
	"github.com/gqlauth/gqlauth/db"
	"github.com/gqlauth/gqlauth/graph"
	"github.com/gqlauth/gqlauth/httpapi"
)

// socketOptions serve subscriptions over websockets, unless
// WS_MAX_SOCKETS=0.
func (a *app) socketOptions(tokens *auth.Tokens) *graph.SocketOptions {
	if a.cfg.Sockets.Limits.Total == 0 {
		return nil
	}
	return &graph.SocketOptions{
		Credential: httpapi.SocketCredential(tokens, a.cfg.Transport),
		KeepAlive:  a.cfg.Sockets.KeepAlive,
		ReadLimit:  a.cfg.MaxBodyBytes,
	}
}

// socketChange passes a change the cache applied on to the live sockets.
func (a *app) socketChange(c db.Change) {
	if a.svc == nil {
		return
	}
	switch c.Kind {
	case db.ChangeUser, cache.ChangeUserSessions:
		a.svc.Sockets.Changed(auth.StateChange{UserID: c.ID})
	case db.ChangeSession:
		a.svc.Sockets.Changed(auth.StateChange{SessionID: c.ID})
	case db.ChangeToken:
		a.svc.Sockets.Changed(auth.StateChange{TokenID: c.ID})
	}
}

// changesLive is the change listener's word that it hears changes (or,
// with false, that it has lost them): the cache flushes either way, and
// when changes are heard again the sockets are checked again, since some
// may have gone unheard.
func (a *app) changesLive(live bool) {
	if a.cache != nil {
		a.cache.SetLive(live)
	}
	if live && a.svc != nil {
		a.svc.Sockets.RecheckAll()
	}
}

// socketPoll is how often, without a cache (CACHE_ENTRIES=0) on SQLite,
// the sockets look for changes, and socketPollMargin how far back each
// look reaches before the previous one (a transaction that stamped its
// change before that look and committed after it).
const (
	socketPoll       = 250 * time.Millisecond
	socketPollMargin = 2 * time.Second
)

// watchChanges feeds the sockets the changes the cache would otherwise
// feed them, when there is no cache: PostgreSQL's notifications (every
// replica's writes, this one's included), or on SQLite a poll.
func (a *app) watchChanges(ctx context.Context) {
	if a.cache != nil || a.cfg.Sockets.Limits.Total == 0 {
		return
	}
	if a.store.Dialect() == db.Postgres {
		a.store.Listen(ctx, a.log, a.socketChange, a.changesLive)
		return
	}
	t := time.NewTicker(socketPoll)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			start := time.Now()
			changes, err := a.store.ChangedSince(ctx, last.Add(-socketPollMargin))
			if err != nil {
				if ctx.Err() == nil {
					a.log.WarnContext(ctx, "socket change poll failed; will retry", "err", err)
				}
				continue
			}
			for _, c := range changes {
				a.socketChange(c)
			}
			last = start
		}
	}
}
