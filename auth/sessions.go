package auth

import (
	"context"
)

// SessionView is one of the caller's sessions, as mySessions shows it.
type SessionView struct {
	Session
	// Current is the session of the token making the request.
	Current bool
}

// MySessions lists the caller's active sessions, most recently used first.
// A session's last use is its last login or refresh: recording every
// request would cost a write per request.
func (s *Service) MySessions(ctx context.Context) ([]SessionView, error) {
	p, err := s.Authenticate(ctx)
	if err != nil {
		return nil, err
	}
	ss, err := s.store.ActiveSessions(ctx, p.User.ID, s.now().UTC())
	if err != nil {
		return nil, Internal(err)
	}
	out := make([]SessionView, len(ss))
	for i, sess := range ss {
		out[i] = SessionView{Session: sess, Current: sess.ID == p.Claims.SessionID}
	}
	return out, nil
}

// errNoSuchSession answers for a session that is not the caller's, ended,
// or never existed alike, so ids of other users' sessions reveal nothing.
var errNoSuchSession = &Error{Code: CodeBadUserInput, Field: "id", Message: "no active session of yours has this id"}

// RevokeSession ends one of the caller's sessions: a device the user no
// longer trusts. Its tokens stop working on their next request. It reports
// whether the revoked session was the caller's own current one.
func (s *Service) RevokeSession(ctx context.Context, id string) (current bool, err error) {
	p, err := s.Authenticate(ctx)
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
		return q.AddAuditEvent(ctx, s.event(ctx, EventSessionRevoked, p.User.ID, p.User.Email, "session "+id))
	})
	if err != nil {
		return false, wrap(err)
	}
	return id == p.Claims.SessionID, nil
}
