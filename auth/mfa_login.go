package auth

import (
	"context"
	"errors"
	"time"
)

// challenge is a login's answer for an account with a second factor, once
// the password proved right: no session, only an mfaToken for verifyMfa.
// loginKey is the login's throttle counter, forgotten now that the
// password is proven (the codes have their own); newHash, when set, is a
// rehash of the password to store.
func (m *Mfa) challenge(ctx context.Context, u *User, loginKey ThrottleKey, newHash string) (*AuthResult, error) {
	return m.challengeAfter(ctx, u, AMRPassword, loginKey, newHash)
}

// challengeAfter is challenge after a first step proved by method (an
// RFC 8176 amr: AMRPassword, or AMRExternal for a provider's sign-in),
// which the session's tokens name once the second factor is shown.
func (m *Mfa) challengeAfter(ctx context.Context, u *User, method string, loginKey ThrottleKey, newHash string) (*AuthResult, error) {
	tok := randomToken()
	now := m.now().UTC()
	c := &MfaChallenge{ID: challengeID(tok), UserID: u.ID, Method: method, CreatedAt: now, ExpiresAt: now.Add(MfaTokenTTL)}
	err := m.store.Tx(ctx, func(q Queries) error {
		if newHash != "" {
			if err := q.SetPasswordHash(ctx, u.ID, newHash, now); err != nil {
				return err
			}
		}
		if err := q.CreateMfaChallenge(ctx, c); err != nil {
			return err
		}
		if err := m.throttle.ResetIn(ctx, q, loginKey); err != nil {
			return err
		}
		detail := ""
		if method != AMRPassword {
			detail = "after " + method
		}
		return q.AddAuditEvent(ctx, m.audit.event(ctx, EventMfaChallenged, u.ID, u.Email, detail))
	})
	if err != nil {
		return nil, wrap(err)
	}
	return &AuthResult{User: u, MfaToken: tok}, nil
}

// challengeID is what the store keeps of an mfaToken.
func challengeID(tok string) string { return tokenDigest(tok) }

// VerifyMfa completes a login with a current TOTP code or an unused
// recovery code: it spends the mfaToken and opens a session whose tokens
// say how the user proved themselves (amr) and at what level (aal2). A
// wrong code leaves the mfaToken usable until it expires; every code
// tried counts against the account's throttle, which no new login resets.
func (m *Mfa) VerifyMfa(ctx context.Context, mfaToken, code string) (*AuthResult, error) {
	c, u, err := m.pendingLogin(ctx, mfaToken)
	if err != nil {
		return nil, err
	}
	res, err := m.completeLogin(ctx, u, c, code)
	if ErrorCode(err) == CodeBadUserInput {
		m.audit.record(ctx, EventLoginFailed, u.ID, u.Email, "wrong second factor code")
	}
	return res, err
}

// completeLogin proves code and, in one transaction, spends it and the
// challenge and opens the session.
func (m *Mfa) completeLogin(ctx context.Context, u *User, c *MfaChallenge, code string) (*AuthResult, error) {
	proof, err := m.prove(ctx, u, code, true)
	if err != nil {
		return nil, err
	}
	return m.finishLogin(ctx, u, c, proof.method, proof.key, "with "+proof.method, func(q Queries, now time.Time) error {
		if err := m.spend(ctx, q, proof, now); err != nil {
			return err
		}
		if proof.method == AMRRecovery {
			return q.AddAuditEvent(ctx, m.audit.event(ctx, EventRecoveryCodeUsed, u.ID, u.Email, "login"))
		}
		return nil
	})
}

// pendingLogin is the first half of every second step (a code or a
// passkey): the login waiting behind mfaToken, and its user, who must
// still be enabled and still have a second factor. A bad mfaToken costs
// the caller's address as a bad refresh token would.
func (m *Mfa) pendingLogin(ctx context.Context, mfaToken string) (*MfaChallenge, *User, error) {
	ip := m.throttle.IP(ctx, "verifyMfa")
	if err := m.throttle.Check(ctx, ip); err != nil {
		return nil, nil, err
	}
	c, err := m.pendingChallenge(ctx, mfaToken)
	if err != nil {
		if ErrorCode(err) == CodeUnauthenticated {
			m.throttle.Fail(ctx, ip) // guessing tokens costs like guessing refresh tokens
		}
		return nil, nil, err
	}
	u, err := m.store.UserByID(ctx, c.UserID)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, Unauthenticated(ReasonTokenInvalid)
	}
	if err != nil {
		return nil, nil, Internal(err)
	}
	if u.Disabled() {
		return nil, nil, errAccountDisabled
	}
	if !u.MfaEnabled() { // reset since the first step
		return nil, nil, Unauthenticated(ReasonTokenInvalid)
	}
	return c, u, nil
}

// finishLogin is the second half of every second step, once the factor
// (method, an RFC 8176 amr) is proven: in one transaction it spends the
// login's challenge, lets spend write what the factor must (a TOTP step
// or recovery code used, a passkey's counter), forgets the factor's
// throttle counter key and opens the session, whose amr names the first
// step's method and then this one. A racing request that spent the
// challenge first leaves this one UNAUTHENTICATED, with nothing written.
func (m *Mfa) finishLogin(ctx context.Context, u *User, c *MfaChallenge, method string, key ThrottleKey,
	detail string, spend func(q Queries, now time.Time) error) (*AuthResult, error) {
	now := m.now().UTC()
	var res *AuthResult
	err := m.store.Tx(ctx, func(q Queries) error {
		ok, err := q.ConsumeMfaChallenge(ctx, c.ID, now)
		if err != nil {
			return err
		}
		if !ok { // spent by a racing request, or expired meanwhile
			return Unauthenticated(ReasonTokenInvalid)
		}
		if err := spend(q, now); err != nil {
			return err
		}
		if err := m.throttle.ResetIn(ctx, q, key); err != nil {
			return err
		}
		if res, err = m.issue.openSessionAMR(ctx, q, u, now, []string{c.firstFactor(), method}); err != nil {
			return err
		}
		return q.AddAuditEvent(ctx, m.audit.event(ctx, EventLoginSucceeded, u.ID, u.Email, detail))
	})
	if err != nil {
		return nil, wrap(err)
	}
	return res, nil
}

// pendingChallenge finds the unused challenge of an mfaToken:
// TOKEN_EXPIRED past its lifetime, TOKEN_INVALID when unknown or used.
func (m *Mfa) pendingChallenge(ctx context.Context, tok string) (*MfaChallenge, error) {
	if tok == "" {
		return nil, Unauthenticated(ReasonTokenMissing)
	}
	if len(tok) > 128 {
		return nil, Unauthenticated(ReasonTokenInvalid)
	}
	c, err := m.store.MfaChallenge(ctx, challengeID(tok))
	if errors.Is(err, ErrNotFound) {
		return nil, Unauthenticated(ReasonTokenInvalid)
	}
	if err != nil {
		return nil, Internal(err)
	}
	if c.UsedAt != nil {
		return nil, Unauthenticated(ReasonTokenInvalid)
	}
	if !m.now().Before(c.ExpiresAt) {
		return nil, Unauthenticated(ReasonTokenExpired)
	}
	return c, nil
}
