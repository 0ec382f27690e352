package auth

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"time"
)

// StateChange names a row whose change may end a socket's authentication:
// a user (role, state, password, email; or every session of the user), a
// session that ended, or a revoked token's jti. One field is set.
type StateChange struct {
	UserID, SessionID, TokenID string
}

// recheckTimeout bounds one recheck's reads.
const recheckTimeout = 10 * time.Second

// Changed hears of a change (on this replica, from another one through the
// store's notifications, or found by a resync) and checks again, in the
// background, every socket of each user it may concern. Rechecks of one
// user do not overlap: changes that arrive during one cause one more.
func (s *Sockets) Changed(c StateChange) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	if c.UserID != "" {
		s.recheckLocked(c.UserID)
	}
	for _, set := range []map[*Socket]struct{}{s.sessions[c.SessionID], s.tokens[c.TokenID]} {
		for sk := range set {
			s.recheckLocked(sk.claims.Subject)
		}
	}
}

// RecheckAll checks every socket again: for when changes may have gone
// unheard (the store's notifications were lost for a while).
func (s *Sockets) RecheckAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	for id := range s.users {
		s.recheckLocked(id)
	}
}

func (s *Sockets) recheckLocked(userID string) {
	u := s.users[userID]
	if u == nil {
		return
	}
	if u.checking {
		u.again = true
		return
	}
	u.checking = true
	go s.recheckLoop(userID, u)
}

func (s *Sockets) recheckLoop(userID string, u *socketUser) {
	for {
		s.recheck(userID, u)
		s.mu.Lock()
		if u.again {
			u.again = false
			s.mu.Unlock()
			continue
		}
		u.checking = false
		if len(u.sockets) == 0 && s.users[userID] == u {
			delete(s.users, userID)
		}
		s.mu.Unlock()
		return
	}
}

// watched is what a recheck read for one socket.
type watched struct {
	sk     *Socket
	claims *Claims
	state  *TokenState
}

// recheck reads the user once and the token state of each of the user's
// sockets, then applies socketVerdict to each.
func (s *Sockets) recheck(userID string, u *socketUser) {
	ctx, cancel := context.WithTimeout(context.Background(), recheckTimeout)
	defer cancel()
	s.mu.Lock()
	var ws []watched
	for sk := range u.sockets {
		if !sk.ended {
			ws = append(ws, watched{sk: sk, claims: sk.claims})
		}
	}
	s.mu.Unlock()
	if len(ws) == 0 {
		return
	}
	now := s.now().UTC()
	user, err := s.store.UserByID(ctx, userID)
	if errors.Is(err, ErrNotFound) {
		user, err = nil, nil
	}
	if err != nil {
		// The periodic resync announces the change again.
		s.log.Warn("socket recheck failed; will retry on the next change", "user_id", userID, "err", err)
		return
	}
	// Sockets of one token share its state.
	states := map[[2]string]*TokenState{}
	for i := range ws {
		c := ws[i].claims
		key := [2]string{c.SessionID, c.ID}
		st, ok := states[key]
		if !ok {
			if st, err = s.store.TokenState(ctx, userID, c.SessionID, c.ID, now); err != nil {
				s.log.Warn("socket recheck failed; will retry on the next change", "user_id", userID, "err", err)
				return
			}
			states[key] = st
		}
		ws[i].state = st
	}

	fp := passwordFingerprint(user)
	var ends []func()
	s.mu.Lock()
	for _, w := range ws {
		if w.sk.ended || w.sk.claims != w.claims {
			continue // ended, or re-authenticated since: its new token was checked then
		}
		typ, end := socketVerdict(u, fp, w.state, w.sk.needs)
		switch {
		case end != nil:
			ends = append(ends, w.sk.endLocked(&SessionEvent{Type: typ, At: now}, end))
		case typ != "":
			w.sk.pushLocked(SessionEvent{Type: typ, At: now})
		}
	}
	if user != nil {
		u.role, u.password = user.Role, fp
	}
	s.mu.Unlock()
	for _, end := range ends {
		end()
	}
}

// passwordFingerprint identifies a password hash without keeping it: the
// hash is salted, so any change of password changes it.
func passwordFingerprint(u *User) uint64 {
	if u == nil {
		return 0
	}
	sum := sha256.Sum256([]byte(u.PasswordHash))
	return binary.BigEndian.Uint64(sum[:8])
}
