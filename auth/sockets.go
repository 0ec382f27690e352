package auth

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// SessionEventType names what a live socket hears about its session.
type SessionEventType string

// The session events, as the schema's SessionEventType spells them.
const (
	// SessionTokenExpiring: the socket's access token expires in
	// TokenExpiryWarning or less; re-authenticate in band or the socket
	// closes at expiry.
	SessionTokenExpiring SessionEventType = "TOKEN_EXPIRING"
	// SessionRevoked: the session ended (a logout, here or elsewhere, an
	// administrator) or the token was revoked.
	SessionRevoked SessionEventType = "SESSION_REVOKED"
	// SessionRoleChanged: the user's role changed; the socket closes when
	// the new role is below what a running subscription needs.
	SessionRoleChanged SessionEventType = "ROLE_CHANGED"
	// SessionAccountDisabled: an administrator disabled the account.
	SessionAccountDisabled SessionEventType = "ACCOUNT_DISABLED"
	// SessionPasswordChanged: the password changed, which ended this
	// session (the session that changed it goes on).
	SessionPasswordChanged SessionEventType = "PASSWORD_CHANGED"
)

// SessionEvent is one thing a socket hears about its session.
type SessionEvent struct {
	Type SessionEventType
	At   time.Time
	// Final: the socket ends right after this event.
	Final bool
}

// TokenExpiryWarning is how long before its access token expires a socket
// hears TOKEN_EXPIRING.
const TokenExpiryWarning = 30 * time.Second

// SocketLimits cap the sockets (long-lived connections: websockets) a
// server holds, so that one user, or everyone, cannot exhaust its memory.
type SocketLimits struct {
	Total   int // open at once, authenticated or not
	PerUser int // authenticated as one user at once
}

// DefaultSocketLimits are the limits when ServiceOptions leave them zero.
var DefaultSocketLimits = SocketLimits{Total: 10_000, PerUser: 16}

var (
	errTooManySockets = &Error{Code: CodeTooManySockets, Message: "too many open sockets; close one and reconnect later"}
	errShuttingDown   = &Error{Code: CodeUnavailable, Message: "the server is shutting down; reconnect", RetryAfter: 1}
	errSocketOnly     = &Error{Code: CodeBadRequest, Message: "subscriptions are served over the websocket at /graphql (graphql-transport-ws)"}
	errRoleLowered    = &Error{Code: CodeForbidden, Message: "your role no longer allows a running subscription"}
)

// socketStore is what Sockets needs of the store: the Guard's token state,
// and the user row, whose password hash tells a password change from any
// other end of a session.
type socketStore interface {
	tokenStateStore
	UserByID(ctx context.Context, id string) (*User, error)
}

// Sockets keeps the authentication of long-lived connections live: a
// socket is authenticated once by the Guard, and then hears, and is ended
// by, what would refuse its token on the next HTTP request (a logout, a
// revoked token, a disabled account, a password change, a role below what
// its subscriptions need, the token's expiry). Changes reach it through
// Changed, from the same notifications that keep the token-state cache
// right on every replica.
type Sockets struct {
	guard  *Guard
	store  socketStore
	limits SocketLimits
	log    *slog.Logger
	now    func() time.Time

	mu       sync.Mutex
	all      map[*Socket]struct{} // admitted and not yet closed
	users    map[string]*socketUser
	sessions map[string]map[*Socket]struct{}
	tokens   map[string]map[*Socket]struct{}
	seq      uint64 // counts Changed calls: a socket authenticated across one is checked again
	draining bool
	drained  chan struct{} // closed when draining and all is empty
	// pending counts sockets not yet authenticated, by client network.
	pending map[string]int
}

// MaxPendingSocketsPerClient bounds the sockets one client (an IPv4
// address, an IPv6 /64) holds open before their connection_init: without
// it one host with no credentials could fill WS_MAX_SOCKETS with idle
// handshakes and shut every user out of live authentication.
const MaxPendingSocketsPerClient = 32

// socketUser is the sockets of one user and what they last knew of the
// user, to tell what changed.
type socketUser struct {
	sockets  map[*Socket]struct{}
	role     Role
	password uint64 // fingerprint of the password hash
	checking bool   // a recheck runs
	again    bool   // another change came during it
}

func newSockets(guard *Guard, store socketStore, limits SocketLimits, log *slog.Logger, now func() time.Time) *Sockets {
	if limits.Total <= 0 {
		limits.Total = DefaultSocketLimits.Total
	}
	if limits.PerUser <= 0 {
		limits.PerUser = DefaultSocketLimits.PerUser
	}
	return &Sockets{guard: guard, store: store, limits: limits, log: log, now: now,
		all: map[*Socket]struct{}{}, users: map[string]*socketUser{},
		sessions: map[string]map[*Socket]struct{}{}, tokens: map[string]map[*Socket]struct{}{}}
}

// Socket is one long-lived connection's authentication. Its transport
// admits it, authenticates it with the connection's first message, hands
// it to operations in their context (WithSocket), and closes it when the
// connection ends. Every field is guarded by the Sockets' mutex.
type Socket struct {
	s *Sockets

	claims *Claims // nil until authenticated
	user   *socketUser
	ended  bool
	endErr error
	closed bool
	warned bool
	gen    uint64 // timer generation: a re-authentication invalidates pending timers
	timers [2]*time.Timer
	needs  map[Role]int
	subs   map[*subscriber]struct{}
	onEnd  func(err error, finals int)
	// pendingClient is the client network the socket counts against
	// until it authenticates ("" after).
	pendingClient string
}

// Admit counts a new connection against the total cap: TOO_MANY_SOCKETS
// when the server holds as many as it may, SERVICE_UNAVAILABLE while it
// shuts down.
//
// ip is the client's address: at most MaxPendingSocketsPerClient of its
// sockets may wait for their connection_init at once.
func (s *Sockets) Admit(ip string) (*Socket, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.draining {
		return nil, errShuttingDown
	}
	client := clientNetwork(ip, DefaultIPv6Prefix)
	if len(s.all) >= s.limits.Total || s.pending[client] >= MaxPendingSocketsPerClient {
		return nil, errTooManySockets
	}
	if s.pending == nil {
		s.pending = map[string]int{}
	}
	s.pending[client]++
	sk := &Socket{s: s, needs: map[Role]int{}, subs: map[*subscriber]struct{}{}, pendingClient: client}
	s.all[sk] = struct{}{}
	return sk, nil
}

// unpendLocked takes sk off its client's pending count, once: when it
// authenticates or closes.
func (sk *Socket) unpendLocked() {
	if c := sk.pendingClient; c != "" {
		sk.pendingClient = ""
		if sk.s.pending[c]--; sk.s.pending[c] <= 0 {
			delete(sk.s.pending, c)
		}
	}
}

// Open reports how many sockets are admitted and not yet closed.
func (s *Sockets) Open() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.all)
}

// OnEnd sets what the transport does when the socket ends (the error says
// why; finals is how many subscribers were handed a final event, which
// the transport should deliver before closing). It runs on a goroutine of
// its own, at most once.
func (sk *Socket) OnEnd(f func(err error, finals int)) {
	sk.s.mu.Lock()
	defer sk.s.mu.Unlock()
	sk.onEnd = f
}

// Authenticate authenticates the socket with claims, the verified access
// token its connection presented, by the Guard's rules. The token must
// not have expired (the socket would end at once), and the user must hold
// fewer than the per-user cap of sockets.
func (sk *Socket) Authenticate(ctx context.Context, claims *Claims) (*Principal, error) {
	s := sk.s
	if claims == nil {
		return nil, Unauthenticated(ReasonTokenMissing)
	}
	if !s.now().Before(claims.ExpiresAt.Time) {
		return nil, Unauthenticated(ReasonTokenExpired)
	}
	s.mu.Lock()
	seen := s.seq
	_, known := s.users[claims.Subject]
	s.mu.Unlock()
	p, err := s.guard.check(ctx, claims)
	if err != nil {
		return nil, err
	}
	var fp uint64
	if !known {
		u, err := s.store.UserByID(ctx, claims.Subject)
		if err != nil {
			return nil, Internal(err)
		}
		fp = passwordFingerprint(u)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if sk.ended || sk.claims != nil {
		return nil, Unauthenticated(ReasonTokenInvalid)
	}
	u := s.users[claims.Subject]
	if u == nil {
		u = &socketUser{sockets: map[*Socket]struct{}{}, role: p.User.Role, password: fp}
		s.users[claims.Subject] = u
	}
	if len(u.sockets) >= s.limits.PerUser {
		if len(u.sockets) == 0 {
			delete(s.users, claims.Subject)
		}
		return nil, errTooManySockets
	}
	u.sockets[sk] = struct{}{}
	sk.user = u
	sk.setClaimsLocked(claims)
	if s.seq != seen {
		// A change was announced while the state was read: it may have
		// missed this socket.
		s.recheckLocked(claims.Subject)
	}
	return p, nil
}

// Reauthenticate replaces the socket's token in band with claims, a token
// of the same user that the Guard accepts, and returns its expiry. A
// refused token ends the socket: it is what the client would otherwise
// keep using.
func (sk *Socket) Reauthenticate(ctx context.Context, claims *Claims) (time.Time, error) {
	s := sk.s
	s.mu.Lock()
	current := sk.claims
	s.mu.Unlock()
	err := func() error {
		switch {
		case current == nil:
			return Unauthenticated(ReasonTokenMissing)
		case claims == nil || claims.Subject != current.Subject:
			return Unauthenticated(ReasonTokenInvalid)
		case !s.now().Before(claims.ExpiresAt.Time):
			return Unauthenticated(ReasonTokenExpired)
		}
		_, err := s.guard.check(ctx, claims)
		return err
	}()
	s.mu.Lock()
	if err == nil && (sk.ended || sk.claims != current) {
		err = Unauthenticated(ReasonTokenInvalid) // ended, or replaced meanwhile
	}
	if err != nil {
		end := sk.endLocked(nil, err)
		s.mu.Unlock()
		end()
		return time.Time{}, err
	}
	sk.setClaimsLocked(claims)
	s.mu.Unlock()
	return claims.ExpiresAt.Time, nil
}

// Claims is the socket's current access token, the credential of every
// operation over it: TOKEN_EXPIRED once it has expired, TOKEN_REVOKED
// once the socket has ended.
func (sk *Socket) Claims() (*Claims, error) {
	sk.s.mu.Lock()
	defer sk.s.mu.Unlock()
	switch {
	case sk.ended:
		return nil, Unauthenticated(ReasonTokenRevoked)
	case sk.claims == nil:
		return nil, Unauthenticated(ReasonTokenMissing)
	case !sk.s.now().Before(sk.claims.ExpiresAt.Time):
		return nil, Unauthenticated(ReasonTokenExpired)
	}
	return sk.claims, nil
}

// Require records that a running subscription needs role until release
// is called, so that a role lowered below it ends the socket.
func (sk *Socket) Require(role Role) (release func()) {
	sk.s.mu.Lock()
	defer sk.s.mu.Unlock()
	sk.needs[role]++
	return sync.OnceFunc(func() {
		sk.s.mu.Lock()
		defer sk.s.mu.Unlock()
		if sk.needs[role]--; sk.needs[role] <= 0 {
			delete(sk.needs, role)
		}
	})
}

// subscriber is one sessionEvents subscription's delivery.
type subscriber struct{ deliver func(SessionEvent) }

// Subscribe is the sessionEvents subscription: deliver hears the events of
// the caller's socket until ctx ends or the socket does, its final event
// (Final set) last. deliver is called with the sockets' lock held: it must
// not block (nor call Sockets). A subscriber that starts within
// TokenExpiryWarning of the token's expiry hears TOKEN_EXPIRING at once.
func (s *Sockets) Subscribe(ctx context.Context, deliver func(SessionEvent)) error {
	sk := SocketFrom(ctx)
	if sk == nil {
		return errSocketOnly
	}
	if _, err := s.guard.authorize(ctx, anyone); err != nil {
		return err
	}
	sub := &subscriber{deliver: deliver}
	s.mu.Lock()
	defer s.mu.Unlock()
	if sk.ended {
		return Unauthenticated(ReasonTokenRevoked)
	}
	sk.subs[sub] = struct{}{}
	if sk.warned {
		deliver(SessionEvent{Type: SessionTokenExpiring, At: s.now().UTC()})
	}
	context.AfterFunc(ctx, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(sk.subs, sub)
	})
	return nil
}

// Close releases the socket when its connection has ended, whatever the
// reason: it no longer counts against the caps or hears of changes.
func (sk *Socket) Close() {
	s := sk.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if sk.closed {
		return
	}
	sk.closed = true
	sk.ended = true
	sk.stopTimersLocked()
	clear(sk.subs)
	sk.unindexLocked()
	if u := sk.user; u != nil {
		delete(u.sockets, sk)
		if len(u.sockets) == 0 && !u.checking && s.users[sk.claims.Subject] == u {
			delete(s.users, sk.claims.Subject)
		}
	}
	sk.unpendLocked()
	delete(s.all, sk)
	if s.draining && len(s.all) == 0 && s.drained != nil {
		close(s.drained)
		s.drained = nil
	}
}

// Drain ends every socket (SERVICE_UNAVAILABLE: reconnect, to another
// replica) and refuses new ones, then waits until their connections have
// closed or ctx ends: for a server shutting down, whose HTTP server does
// not wait for hijacked connections.
func (s *Sockets) Drain(ctx context.Context) {
	s.mu.Lock()
	s.draining = true
	var ends []func()
	for sk := range s.all {
		ends = append(ends, sk.endLocked(nil, errShuttingDown))
	}
	var done chan struct{}
	if len(s.all) > 0 {
		done = make(chan struct{})
		s.drained = done
	}
	s.mu.Unlock()
	for _, end := range ends {
		end()
	}
	if done != nil {
		select {
		case <-done:
		case <-ctx.Done():
		}
	}
}
