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
	return is.openSessionAMR(ctx, q, u, now, nil)
}

// openSessionAMR is openSession after a login that proved the methods amr
// (nil: a password alone).
func (is *issuer) openSessionAMR(ctx context.Context, q Queries, u *User, now time.Time, amr []string) (*AuthResult, error) {
	ri := RequestInfoFrom(ctx)
	sess := &Session{
		ID: NewID(), UserID: u.ID, RefreshJTI: NewID(),
		CreatedAt: now, LastUsedAt: now, ExpiresAt: now.Add(is.tokens.RefreshTTL()),
		UserAgent: ri.UserAgent, IP: ri.IP,
	}
	if err := q.CreateSession(ctx, sess); err != nil {
		return nil, err
	}
	return is.pair(u, sess, true, amr)
}

// pair issues an access token and the session's current refresh token,
// both carrying the login's methods amr.
func (is *issuer) pair(u *User, sess *Session, fresh bool, amr []string) (*AuthResult, error) {
	csrf := ""
	if is.bindCSRF {
		csrf = NewID()
	}
	access, err := is.tokens.IssueAMR(AccessToken, u, sess.ID, "", csrf, fresh, amr)
	if err != nil {
		return nil, err
	}
	refresh, err := is.tokens.IssueAMR(RefreshToken, u, sess.ID, sess.RefreshJTI, csrf, false, amr)
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
	// MfaToken is set, and Access and Refresh are nil, when the password
	// was right but a second factor must still be shown (verifyMfa).
	MfaToken string
	// BodyOnly: the tokens go to the caller in the response body only,
	// never into cookies: a sign-in with a provider finished by a browser
	// that did not begin it (TOKEN_LOCATION=headers,cookies).
	BodyOnly bool
}
