package auth

import (
	"context"
	"time"
)

// issuer opens sessions and issues the token pairs of register, login and
// refresh.
type issuer struct {
	tokens *Tokens
	// bindCSRF binds a double-submit value to every pair, for clients
	// that receive their tokens in cookies.
	bindCSRF bool
}

// openSession creates a session for u and issues its first token pair,
// fresh: the caller has just proved its password.
func (is *issuer) openSession(ctx context.Context, q Queries, u *User, now time.Time) (*AuthResult, error) {
	ri := RequestInfoFrom(ctx)
	sess := &Session{
		ID: NewID(), UserID: u.ID, RefreshJTI: NewID(),
		CreatedAt: now, LastUsedAt: now, ExpiresAt: now.Add(is.tokens.RefreshTTL()),
		UserAgent: ri.UserAgent, IP: ri.IP,
	}
	if err := q.CreateSession(ctx, sess); err != nil {
		return nil, err
	}
	return is.pair(u, sess, true)
}

// pair issues an access token and the session's current refresh token.
func (is *issuer) pair(u *User, sess *Session, fresh bool) (*AuthResult, error) {
	csrf := ""
	if is.bindCSRF {
		csrf = NewID()
	}
	access, err := is.tokens.Issue(AccessToken, u, sess.ID, "", csrf, fresh)
	if err != nil {
		return nil, err
	}
	refresh, err := is.tokens.Issue(RefreshToken, u, sess.ID, sess.RefreshJTI, csrf, false)
	if err != nil {
		return nil, err
	}
	return &AuthResult{Access: access, Refresh: refresh, User: u, CSRF: csrf}, nil
}

// AuthResult is what register, login and refresh return.
type AuthResult struct {
	Access  *Issued
	Refresh *Issued
	User    *User
	// CSRF is the double-submit value bound to both tokens ("" unless the
	// service binds one).
	CSRF string
}
