package auth

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// DefaultReuseGrace is how long a consumed refresh token may be presented
// again without counting as theft: long enough for a client to retry after
// losing a response, short enough to be of little use to a thief.
const DefaultReuseGrace = 10 * time.Second

// sessionStore is what Sessions needs of the store.
type sessionStore interface {
	txRunner
	// RotateSession is a refresh's fast path, one statement: when the
	// session is live, its current refresh jti is r.JTI and its user is
	// enabled, it moves the session to r.NewJTI and returns the user;
	// otherwise ErrNotFound and nothing changes.
	RotateSession(ctx context.Context, r SessionRotation) (*User, error)
	// ActiveSessions lists a user's sessions that are neither revoked nor
	// expired at now, most recently used first.
	ActiveSessions(ctx context.Context, userID string, now time.Time) ([]Session, error)
}

// Sessions are the use cases of a logged-in client's sessions: refresh,
// logout, and the caller's list of devices.
type Sessions struct {
	store      sessionStore
	guard      *Guard
	throttle   *Throttle
	issue      *issuer
	tokens     *Tokens
	audit      *auditor
	log        *slog.Logger
	now        func() time.Time
	reuseGrace time.Duration // <= 0: no grace
	// requireVerified refuses refreshes of unverified accounts
	// (REQUIRE_VERIFIED_EMAIL), so that sessions opened before the
	// setting was turned on end within an access token's lifetime.
	requireVerified bool
}

// Refresh exchanges a refresh token for a new, non-fresh access token and a
// new refresh token. The presented token is consumed: presenting it again
// after the grace window means two parties hold it, so the session ends.
//
// csrf is nil when the client sent the token itself; when the token came
// from a cookie, which a browser sends on any request, csrf is the
// double-submitted value the request carried, and must match the token.
func (s *Sessions) Refresh(ctx context.Context, raw string, csrf *string) (*AuthResult, error) {
	if raw == "" {
		return nil, Unauthenticated(ReasonTokenMissing)
	}
	// Refreshing is routine for every client, so only failures count.
	ip := s.throttle.IP(ctx, "refresh")
	if err := s.throttle.Check(ctx, ip); err != nil {
		return nil, err
	}
	res, err := s.refresh(ctx, raw, csrf)
	if ErrorCode(err) == CodeUnauthenticated {
		s.throttle.Fail(ctx, ip)
	}
	return res, err
}

func (s *Sessions) refresh(ctx context.Context, raw string, csrf *string) (*AuthResult, error) {
	claims, err := s.tokens.Parse(raw, RefreshToken)
	if err != nil {
		return nil, err
	}
	if csrf != nil {
		if err := CheckCSRF(claims, *csrf); err != nil {
			return nil, err
		}
	}
	now := s.now().UTC()
	// The fast path, one statement: the common case of a current token.
	newJTI := NewID()
	u, err := s.store.RotateSession(ctx, SessionRotation{SessionID: claims.SessionID, UserID: claims.Subject,
		JTI: claims.ID, NewJTI: newJTI, Now: now, ExpiresAt: now.Add(s.tokens.RefreshTTL())})
	if err == nil {
		if s.requireVerified && !u.EmailVerified() {
			return nil, errEmailNotVerified
		}
		return s.issue.pair(u, &Session{ID: claims.SessionID, RefreshJTI: newJTI}, false, claims.AMR)
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, wrap(err)
	}
	// The slow path decides, under the session's row lock, between a
	// retry inside the grace window, reuse, and a session that has ended.
	var res *AuthResult
	var reused bool
	err = s.store.Tx(ctx, func(q Queries) error {
		sess, err := q.SessionForUpdate(ctx, claims.SessionID)
		if errors.Is(err, ErrNotFound) {
			return Unauthenticated(ReasonTokenRevoked)
		}
		if err != nil {
			return err
		}
		if sess.UserID != claims.Subject {
			return Unauthenticated(ReasonTokenInvalid)
		}
		if !sess.Active(now) {
			return Unauthenticated(ReasonTokenRevoked)
		}
		switch {
		case claims.ID == sess.RefreshJTI:
			prev := sess.RefreshJTI
			sess.PrevRefreshJTI, sess.RotatedAt = &prev, &now
		case s.withinGrace(sess, claims.ID, now):
			// A retry of the last rotation: answer it, and keep the grace
			// window anchored at the first rotation so it cannot be stretched.
		default:
			reused = true
			if err := q.RevokeSession(ctx, sess.ID, now); err != nil {
				return err
			}
			return q.AddAuditEvent(ctx, s.audit.event(ctx, EventRefreshReuse, sess.UserID, "", "session "+sess.ID))
		}
		u, err := q.UserByID(ctx, sess.UserID)
		if errors.Is(err, ErrNotFound) || (err == nil && u.Disabled()) {
			return Unauthenticated(ReasonTokenRevoked)
		}
		if err != nil {
			return err
		}
		if s.requireVerified && !u.EmailVerified() {
			return errEmailNotVerified
		}
		sess.RefreshJTI = NewID()
		sess.LastUsedAt = now
		sess.ExpiresAt = now.Add(s.tokens.RefreshTTL())
		if err := q.UpdateSession(ctx, sess); err != nil {
			return err
		}
		res, err = s.issue.pair(u, sess, false, claims.AMR)
		return err
	})
	if err != nil {
		return nil, wrap(err)
	}
	if reused {
		s.log.WarnContext(ctx, "refresh token reuse detected; session revoked", "user_id", claims.Subject, "session_id", claims.SessionID)
		return nil, Unauthenticated(ReasonTokenReused)
	}
	return res, nil
}

// withinGrace reports whether jti is the session's previous refresh token
// presented again within the grace window of its rotation.
func (s *Sessions) withinGrace(sess *Session, jti string, now time.Time) bool {
	return s.reuseGrace > 0 && sess.PrevRefreshJTI != nil && sess.RotatedAt != nil &&
		jti == *sess.PrevRefreshJTI && now.Sub(*sess.RotatedAt) <= s.reuseGrace
}

// Logout revokes the caller's access token and ends its session, or every
// session of the caller when all is set.
func (s *Sessions) Logout(ctx context.Context, all bool) error {
	p, err := s.guard.authorize(ctx, requireSession)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	c := p.Claims
	err = s.store.Tx(ctx, func(q Queries) error {
		if err := q.RevokeToken(ctx, c.ID, p.User.ID, c.ExpiresAt.Time.UTC(), now); err != nil {
			return err
		}
		typ := EventLogout
		if all {
			typ = EventLogoutAll
			if _, err := endUserSessions(ctx, q, p.User.ID, "", now); err != nil {
				return err
			}
		} else if err := q.RevokeSession(ctx, c.SessionID, now); err != nil {
			return err
		}
		return q.AddAuditEvent(ctx, s.audit.event(ctx, typ, p.User.ID, p.User.Email, ""))
	})
	return wrap(err)
}

// SessionView is one of the caller's sessions, as mySessions shows it.
type SessionView struct {
	Session
	// Current is the session of the token making the request.
	Current bool
}

// Mine lists the caller's active sessions, most recently used first. A
// session's last use is its last login or refresh: recording every
// request would cost a write per request.
func (s *Sessions) Mine(ctx context.Context) ([]SessionView, error) {
	p, err := s.guard.authorize(ctx, anyone)
	if err != nil {
		return nil, err
	}
	ss, err := s.store.ActiveSessions(ctx, p.User.ID, s.now().UTC())
	if err != nil {
		return nil, Internal(err)
	}
	out := make([]SessionView, len(ss))
	for i, sess := range ss {
		out[i] = SessionView{Session: sess, Current: p.Claims != nil && sess.ID == p.Claims.SessionID}
	}
	return out, nil
}

// errNoSuchSession answers for a session that is not the caller's, ended,
// or never existed alike, so ids of other users' sessions reveal nothing.
var errNoSuchSession = &Error{Code: CodeBadUserInput, Field: "id", Message: "no active session of yours has this id"}

// Revoke ends one of the caller's sessions: a device the user no longer
// trusts. Its tokens stop working on their next request. It reports
// whether the revoked session was the caller's own current one.
func (s *Sessions) Revoke(ctx context.Context, id string) (current bool, err error) {
	p, err := s.guard.authorize(ctx, anyone)
	if err != nil {
		return false, err
	}
	if id == "" || len(id) > 64 {
		return false, errNoSuchSession
	}
	now := s.now().UTC()
	err = s.store.Tx(ctx, func(q Queries) error {
		ok, err := q.RevokeUserSession(ctx, p.User.ID, id, now)
		if err != nil {
			return err
		}
		if !ok {
			return errNoSuchSession
		}
		return q.AddAuditEvent(ctx, s.audit.event(ctx, EventSessionRevoked, p.User.ID, p.User.Email, "session "+id))
	})
	if err != nil {
		return false, wrap(err)
	}
	return p.Claims != nil && id == p.Claims.SessionID, nil
}
