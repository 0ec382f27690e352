// Package cache keeps what every authenticated request asks the database
// (the user's current role and state, whether the session has ended,
// whether the token was revoked) in memory, so that `me` and every guarded
// field are answered without a database round trip in the steady state.
//
// The cache is never wrong for long. It wraps the auth.Store: this
// replica's own writes evict what they change the moment they commit;
// other replicas' changes arrive through PostgreSQL LISTEN/NOTIFY (see
// db.Store.Listen); a periodic resync re-reads whatever changed recently,
// repairing anything missed; and while the listening connection is down
// the cache is flushed and bypassed, every request reading through to the
// database. Entries also age out, and the LRUs bound memory.
package cache

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/db"
	lru "github.com/hashicorp/golang-lru/v2"
)

// Options size and time the cache.
type Options struct {
	// Entries bounds each of the three caches (users, sessions, tokens).
	Entries int
	// MaxAge is the longest an entry is trusted without being re-read: a
	// last line of defence should every other mechanism fail.
	MaxAge time.Duration
	// Live says whether changes are heard as they happen. A cache that is
	// not live (PostgreSQL before its listener connects) reads through.
	Live bool
	Now  func() time.Time
	// OnChange, if set, hears every change the cache applies (this
	// replica's writes, other replicas' notifications, the resync's
	// finds) once the stale entries are gone, so that what reads through
	// the cache then sees the change: live sockets are checked again.
	OnChange func(db.Change)
}

// Stats are the cache's counters, for metrics.
type Stats struct {
	Hits, Misses, Evictions uint64
	Users, Sessions, Tokens int
	Live                    bool
}

type userEntry struct {
	user auth.User // without the password hash
	at   time.Time
}

type sessionEntry struct {
	userID string
	ended  bool
	at     time.Time
}

type tokenEntry struct {
	revoked bool
	at      time.Time
}

// Base is the store the cache wraps: the database.
type Base interface {
	auth.Store
	// ChangedSince lists the users, ended sessions and revoked tokens
	// changed at or after since, for the periodic resync.
	ChangedSince(ctx context.Context, since time.Time) ([]db.Change, error)
	Ping(ctx context.Context) error
	Close() error
}

// Store is an auth.Store whose TokenState is answered from memory. Every
// write that can change a cached answer runs in a Tx, whose writes are
// noted; what runs outside one (reads, audit events, throttle counters, a
// refresh's rotation) changes nothing the cache holds, and passes through.
type Store struct {
	Base
	opts Options

	users    *lru.Cache[string, userEntry]
	sessions *lru.Cache[string, sessionEntry]
	tokens   *lru.Cache[string, tokenEntry]

	// fillMu orders fills against invalidations: a fill stores what it
	// read only if no invalidation happened since it started reading, so
	// a read that raced a change can never put the old state back.
	fillMu sync.Mutex
	gen    atomic.Uint64
	live   atomic.Bool

	hits, misses, evictions atomic.Uint64
}

var _ auth.Store = (*Store)(nil)

// New wraps base.
func New(base Base, opts Options) *Store {
	if opts.Entries <= 0 {
		opts.Entries = 50_000
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = 5 * time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Store{Base: base, opts: opts}
	s.users, _ = lru.New[string, userEntry](opts.Entries) // errors only for a size <= 0
	s.sessions, _ = lru.New[string, sessionEntry](opts.Entries)
	s.tokens, _ = lru.New[string, tokenEntry](opts.Entries)
	s.live.Store(opts.Live)
	return s
}

// TokenState answers from memory when all three entries are there and
// fresh, and otherwise reads the database once and remembers the answer.
func (s *Store) TokenState(ctx context.Context, userID, sessionID, jti string, now time.Time) (*auth.TokenState, error) {
	if s.live.Load() {
		if st, ok := s.lookup(userID, sessionID, jti); ok {
			s.hits.Add(1)
			return st, nil
		}
	}
	s.misses.Add(1)
	gen := s.gen.Load()
	st, err := s.Base.TokenState(ctx, userID, sessionID, jti, now)
	if err != nil || st.User == nil {
		return st, err
	}
	u := *st.User
	u.PasswordHash = "" // never kept in memory longer than a request
	st.User = &u
	s.fill(gen, &u, sessionID, st, jti)
	return st, nil
}

func (s *Store) lookup(userID, sessionID, jti string) (*auth.TokenState, bool) {
	oldest := s.opts.Now().Add(-s.opts.MaxAge)
	ue, ok := s.users.Get(userID)
	if !ok || ue.at.Before(oldest) {
		return nil, false
	}
	se, ok := s.sessions.Get(sessionID)
	if !ok || se.at.Before(oldest) {
		return nil, false
	}
	te, ok := s.tokens.Get(jti)
	if !ok || te.at.Before(oldest) {
		return nil, false
	}
	u := ue.user
	return &auth.TokenState{User: &u, SessionEnded: se.ended || se.userID != userID, TokenRevoked: te.revoked}, true
}

func (s *Store) fill(gen uint64, u *auth.User, sessionID string, st *auth.TokenState, jti string) {
	s.fillMu.Lock()
	defer s.fillMu.Unlock()
	if s.gen.Load() != gen || !s.live.Load() {
		return
	}
	at := s.opts.Now()
	s.users.Add(u.ID, userEntry{user: *u, at: at})
	s.sessions.Add(sessionID, sessionEntry{userID: u.ID, ended: st.SessionEnded, at: at})
	s.tokens.Add(jti, tokenEntry{revoked: st.TokenRevoked, at: at})
}

// Apply forgets what a change makes stale. Ending every session of a user
// walks the session cache: rare, and cheaper than an index per user.
func (s *Store) Apply(c db.Change) {
	s.forget(c)
	if s.opts.OnChange != nil {
		s.opts.OnChange(c)
	}
}

func (s *Store) forget(c db.Change) {
	s.fillMu.Lock()
	defer s.fillMu.Unlock()
	s.gen.Add(1)
	var gone bool
	switch c.Kind {
	case db.ChangeUser:
		gone = s.users.Remove(c.ID)
	case db.ChangeSession:
		gone = s.sessions.Remove(c.ID)
	case db.ChangeToken:
		gone = s.tokens.Remove(c.ID)
	case ChangeUserSessions:
		for _, id := range s.sessions.Keys() {
			if e, ok := s.sessions.Peek(id); ok && e.userID == c.ID {
				s.sessions.Remove(id)
				gone = true
			}
		}
	}
	if gone {
		s.evictions.Add(1)
	}
}

// SetLive turns change tracking on or off. Either way the cache is
// flushed: on the way down because changes will go unheard, on the way up
// because some may have been.
func (s *Store) SetLive(live bool) {
	s.fillMu.Lock()
	defer s.fillMu.Unlock()
	s.gen.Add(1)
	s.users.Purge()
	s.sessions.Purge()
	s.tokens.Purge()
	s.live.Store(live)
}

// Live reports whether the cache is in use (changes are being heard).
func (s *Store) Live() bool { return s.live.Load() }

// CacheStats reads the counters.
func (s *Store) CacheStats() Stats {
	return Stats{
		Hits: s.hits.Load(), Misses: s.misses.Load(), Evictions: s.evictions.Load(),
		Users: s.users.Len(), Sessions: s.sessions.Len(), Tokens: s.tokens.Len(), Live: s.live.Load(),
	}
}

// Tx runs fn with Queries that note what they change, and applies the
// notes once the transaction is over: after a commit, so a concurrent
// read cannot refill the old state; after a failure too, because a failed
// commit's outcome is not always known, and forgetting is always safe.
func (s *Store) Tx(ctx context.Context, fn func(q auth.Queries) error) error {
	var notes []db.Change
	err := s.Base.Tx(ctx, func(q auth.Queries) error {
		notes = notes[:0]
		return fn(recorder{Queries: q, note: func(c db.Change) { notes = append(notes, c) }})
	})
	for _, c := range notes {
		s.Apply(c)
	}
	return err
}
