package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// Mfa are the use cases of the second factor: enrolling an authenticator
// app, the second step of a login, recovery codes, and removing a factor.
type Mfa struct {
	store    mfaStore
	guard    *Guard
	throttle *Throttle
	issue    *issuer
	audit    *auditor
	log      *slog.Logger
	now      func() time.Time
	issuer   string
	box      *secretBox // nil: no key, no enrollment or proof
	boxErr   error
}

func newMfa(store mfaStore, guard *Guard, throttle *Throttle, issue *issuer, audit *auditor, log *slog.Logger, now func() time.Time, opts MfaOptions) *Mfa {
	m := &Mfa{store: store, guard: guard, throttle: throttle, issue: issue, audit: audit, log: log, now: now, issuer: opts.Issuer}
	if m.issuer == "" {
		m.issuer = DefaultTotpIssuer
	}
	if opts.Key != nil {
		m.box, m.boxErr = newSecretBox(opts.Key, opts.PreviousKeys...)
	} else {
		m.boxErr = errors.New("no MFA encryption key configured")
	}
	return m
}

var (
	errMfaNotEnabled     = BadInput("code", "no second factor is enabled on this account")
	errMfaAlreadyEnabled = BadInput("code", "a second factor is already enabled: disable it first")
	errNoPendingTotp     = BadInput("code", "no authenticator is being enrolled: call enrollTotp first")
	errWrongCode         = BadInput("code", "the code is wrong or has expired")
	errCodeUsed          = BadInput("code", "this code has already been used; wait for the next one")
	errTotpLocked        = BadInput("code", "too many wrong codes: sign in with a recovery code, or ask an administrator to reset your second factor")
)

// maxCodeLen bounds a code before any work: a recovery code is 19
// characters written out.
const maxCodeLen = 64

// EnrollTotp draws a new authenticator secret for the caller. It is not in
// force until ConfirmTotp sees a code from it; enrolling again replaces a
// pending secret. It needs a fresh token.
func (m *Mfa) EnrollTotp(ctx context.Context) (*TotpEnrollment, error) {
	p, err := m.guard.authorize(ctx, requireFreshSession)
	if err != nil {
		return nil, err
	}
	if p.User.MfaEnabled() {
		return nil, &Error{Code: CodeBadUserInput, Message: "a second factor is already enabled: disable it first"}
	}
	if m.box == nil {
		return nil, Internal(m.boxErr)
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: m.issuer, AccountName: p.User.Email, Period: totpPeriod,
		SecretSize: 20, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, Internal(err)
	}
	svg, err := qrSVG(key.URL())
	if err != nil {
		return nil, Internal(err)
	}
	f := &TotpFactor{UserID: p.User.ID, SecretEnc: m.box.seal(p.User.ID, key.Secret()), CreatedAt: m.now().UTC()}
	err = m.store.Tx(ctx, func(q Queries) error {
		// Under the user's row lock: a factor enabled meanwhile (another
		// request, another replica, a stale cache) is never replaced.
		u, err := q.UserForUpdate(ctx, p.User.ID)
		if err != nil {
			return err
		}
		if u.MfaEnabled() {
			return errMfaAlreadyEnabled
		}
		return q.PutTotpFactor(ctx, f)
	})
	if err != nil {
		return nil, wrap(err)
	}
	return &TotpEnrollment{Secret: key.Secret(), URI: key.URL(), QRSvg: svg}, nil
}

// ConfirmTotp turns the pending secret on, given a current code from it,
// and returns the recovery codes, shown this once. It needs a fresh token.
func (m *Mfa) ConfirmTotp(ctx context.Context, code string) ([]string, error) {
	p, err := m.guard.authorize(ctx, requireFreshSession)
	if err != nil {
		return nil, err
	}
	if p.User.MfaEnabled() {
		return nil, errMfaAlreadyEnabled
	}
	proof, err := m.prove(ctx, &p.User, code, false)
	if err != nil {
		return nil, err
	}
	codes, hashes := newRecoveryCodes()
	now := m.now().UTC()
	err = m.store.Tx(ctx, func(q Queries) error {
		u, err := q.UserForUpdate(ctx, p.User.ID)
		if err != nil {
			return err
		}
		if u.MfaEnabled() { // a racing confirmation won
			return errMfaAlreadyEnabled
		}
		if err := m.spend(ctx, q, proof, now); err != nil {
			return err
		}
		if err := q.SetUserMfa(ctx, p.User.ID, true, now); err != nil {
			return err
		}
		if err := q.ReplaceRecoveryCodes(ctx, p.User.ID, hashes, now); err != nil {
			return err
		}
		if err := m.throttle.ResetIn(ctx, q, proof.key); err != nil {
			return err
		}
		return q.AddAuditEvent(ctx, m.audit.event(ctx, EventMfaEnabled, p.User.ID, p.User.Email, "totp"))
	})
	if err != nil {
		return nil, wrap(err)
	}
	return codes, nil
}

// RegenerateRecoveryCodes replaces the caller's recovery codes, given a
// current code (or an unused recovery code), and returns the new ones.
func (m *Mfa) RegenerateRecoveryCodes(ctx context.Context, code string) ([]string, error) {
	p, err := m.guard.authorize(ctx, requireFreshSession)
	if err != nil {
		return nil, err
	}
	if !p.User.MfaEnabled() {
		return nil, errMfaNotEnabled
	}
	proof, err := m.prove(ctx, &p.User, code, true)
	if err != nil {
		return nil, err
	}
	codes, hashes := newRecoveryCodes()
	now := m.now().UTC()
	err = m.store.Tx(ctx, func(q Queries) error {
		if err := m.spend(ctx, q, proof, now); err != nil {
			return err
		}
		if err := q.ReplaceRecoveryCodes(ctx, p.User.ID, hashes, now); err != nil {
			return err
		}
		if err := m.throttle.ResetIn(ctx, q, proof.key); err != nil {
			return err
		}
		return q.AddAuditEvent(ctx, m.audit.event(ctx, EventRecoveryCodesReplaced, p.User.ID, p.User.Email, "with "+proof.method))
	})
	if err != nil {
		return nil, wrap(err)
	}
	return codes, nil
}

// DisableTotp removes the caller's second factor, given a current code
// (or an unused recovery code), and ends the caller's other sessions: a
// device that logged in with the factor keeps no more than this one.
func (m *Mfa) DisableTotp(ctx context.Context, code string) error {
	p, err := m.guard.authorize(ctx, requireFreshSession)
	if err != nil {
		return err
	}
	if !p.User.MfaEnabled() {
		return errMfaNotEnabled
	}
	proof, err := m.prove(ctx, &p.User, code, true)
	if err != nil {
		return err
	}
	now := m.now().UTC()
	err = m.store.Tx(ctx, func(q Queries) error {
		if err := m.spend(ctx, q, proof, now); err != nil {
			return err
		}
		n, err := m.remove(ctx, q, p.User.ID, p.Claims.SessionID, now)
		if err != nil {
			return err
		}
		if err := m.throttle.ResetIn(ctx, q, proof.key); err != nil {
			return err
		}
		return q.AddAuditEvent(ctx, m.audit.event(ctx, EventMfaDisabled, p.User.ID, p.User.Email,
			fmt.Sprintf("with %s; ended %d other sessions", proof.method, n)))
	})
	return wrap(err)
}

// ResetUserMfa removes a user's second factor for an administrator (or the
// operator): for a user who lost the device and the recovery codes. The
// user's sessions end, since their second factor no longer exists.
func (m *Mfa) ResetUserMfa(ctx context.Context, userID string) (*User, error) {
	p, err := m.guard.authorize(ctx, RequireFreshAdmin)
	if err != nil {
		return nil, err
	}
	keep := ""
	if p.User.ID == userID && p.Claims != nil {
		keep = p.Claims.SessionID // an admin resetting their own factor stays logged in here
	}
	now := m.now().UTC()
	var u *User
	err = m.store.Tx(ctx, func(q Queries) error {
		old, err := q.UserForUpdate(ctx, userID)
		if errors.Is(err, ErrNotFound) {
			return errNoSuchUser
		}
		if err != nil {
			return err
		}
		// A mistyped address must not log an innocent user out.
		if !old.MfaEnabled() {
			if _, err := m.store.TotpFactor(ctx, userID); errors.Is(err, ErrNotFound) {
				return BadInput("userId", "this user has no second factor")
			}
		}
		n, err := m.remove(ctx, q, userID, keep, now)
		if err != nil {
			return err
		}
		if u, err = q.UserByID(ctx, userID); err != nil {
			return err
		}
		return q.AddAuditEvent(ctx, m.audit.event(ctx, EventMfaReset, old.ID, old.Email,
			fmt.Sprintf("%s; ended %d sessions", p.actor(), n)))
	})
	if err != nil {
		return nil, wrap(err)
	}
	return u, nil
}

// remove deletes a user's factor and codes and ends their sessions but
// keep, returning how many ended.
func (m *Mfa) remove(ctx context.Context, q Queries, userID, keep string, now time.Time) (int, error) {
	if _, err := q.DeleteMfa(ctx, userID); err != nil {
		return 0, err
	}
	if err := q.SetUserMfa(ctx, userID, false, now); err != nil {
		return 0, err
	}
	return endUserSessions(ctx, q, userID, keep, now)
}

// RecoveryCodesLeft counts the caller's unused recovery codes; it needs a
// token from a login with the second factor.
func (m *Mfa) RecoveryCodesLeft(ctx context.Context) (int, error) {
	p, err := m.guard.authorize(ctx, RequireMFA)
	if err != nil {
		return 0, err
	}
	n, err := m.store.RecoveryCodesLeft(ctx, p.User.ID)
	if err != nil {
		return 0, Internal(err)
	}
	return n, nil
}
