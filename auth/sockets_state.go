package auth

import (
	"context"
	"time"
)

// setClaimsLocked makes claims the socket's token: indexes it by session
// and jti, and sets the expiry timers.
func (sk *Socket) setClaimsLocked(c *Claims) {
	sk.unpendLocked()
	sk.unindexLocked()
	sk.claims = c
	index(sk.s.sessions, c.SessionID, sk)
	index(sk.s.tokens, c.ID, sk)
	sk.scheduleLocked()
}

func (sk *Socket) unindexLocked() {
	if c := sk.claims; c != nil {
		unindex(sk.s.sessions, c.SessionID, sk)
		unindex(sk.s.tokens, c.ID, sk)
	}
}

// scheduleLocked sets TOKEN_EXPIRING for TokenExpiryWarning before the
// token's expiry, and the socket's end at expiry.
func (sk *Socket) scheduleLocked() {
	s := sk.s
	sk.stopTimersLocked()
	sk.gen++
	gen := sk.gen
	left := sk.claims.ExpiresAt.Time.Sub(s.now())
	sk.warned = false
	if warnIn := left - TokenExpiryWarning; warnIn > 0 {
		sk.timers[0] = time.AfterFunc(warnIn, func() { sk.timer(gen, false) })
	} else {
		sk.warnLocked()
	}
	sk.timers[1] = time.AfterFunc(max(left, 0), func() { sk.timer(gen, true) })
}

func (sk *Socket) stopTimersLocked() {
	for i, t := range sk.timers {
		if t != nil {
			t.Stop()
			sk.timers[i] = nil
		}
	}
}

// timer fires the warning or the expiry of timer generation gen.
func (sk *Socket) timer(gen uint64, expiry bool) {
	s := sk.s
	s.mu.Lock()
	if sk.gen != gen || sk.ended {
		s.mu.Unlock()
		return
	}
	if !expiry {
		sk.warnLocked()
		s.mu.Unlock()
		return
	}
	end := sk.endLocked(nil, Unauthenticated(ReasonTokenExpired))
	s.mu.Unlock()
	end()
}

func (sk *Socket) warnLocked() {
	if sk.warned {
		return
	}
	sk.warned = true
	sk.pushLocked(SessionEvent{Type: SessionTokenExpiring, At: sk.s.now().UTC()})
}

// pushLocked hands ev to every subscriber.
func (sk *Socket) pushLocked(ev SessionEvent) {
	for sub := range sk.subs {
		sub.deliver(ev)
	}
}

// endLocked ends the socket with err, after handing ev (if not nil) to its
// subscribers as their final event, and returns what must run once the
// lock is released: the transport's OnEnd.
func (sk *Socket) endLocked(ev *SessionEvent, err error) func() {
	if sk.ended {
		return func() {}
	}
	sk.ended, sk.endErr = true, err
	sk.stopTimersLocked()
	finals := 0
	if ev != nil {
		ev.Final = true
		sk.pushLocked(*ev)
		finals = len(sk.subs)
	}
	clear(sk.subs)
	f := sk.onEnd
	if f == nil {
		return func() {}
	}
	return func() { go f(err, finals) }
}

// Err reports why the socket ended, or nil while it lives.
func (sk *Socket) Err() error {
	sk.s.mu.Lock()
	defer sk.s.mu.Unlock()
	return sk.endErr
}

// WithSocket makes sk the credential of every operation run in ctx.
func WithSocket(ctx context.Context, sk *Socket) context.Context {
	return context.WithValue(ctx, socketKey, sk)
}

// SocketFrom returns the socket whose operation ctx belongs to, or nil.
func SocketFrom(ctx context.Context) *Socket {
	sk, _ := ctx.Value(socketKey).(*Socket)
	return sk
}

func index(m map[string]map[*Socket]struct{}, key string, sk *Socket) {
	set := m[key]
	if set == nil {
		set = map[*Socket]struct{}{}
		m[key] = set
	}
	set[sk] = struct{}{}
}

func unindex(m map[string]map[*Socket]struct{}, key string, sk *Socket) {
	if set := m[key]; set != nil {
		delete(set, sk)
		if len(set) == 0 {
			delete(m, key)
		}
	}
}
