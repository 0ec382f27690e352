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

// The audited events of the second factor.
const (
	EventMfaEnabled            EventType = "mfa_enabled"
	EventMfaDisabled           EventType = "mfa_disabled"
	EventMfaReset              EventType = "mfa_reset"
	EventMfaChallenged         EventType = "mfa_challenged"
	EventRecoveryCodeUsed      EventType = "recovery_code_used"
	EventRecoveryCodesReplaced EventType = "recovery_codes_regenerated"
	// MaxTotpFailures wrong codes in a row locked the authenticator.
	EventMfaLocked EventType = "mfa_locked"
)

// MfaTokenTTL is how long the mfaToken of a login's first step may be
// used: enough to open an authenticator app and type a code.
const MfaTokenTTL = 5 * time.Minute

// DefaultTotpIssuer names this service in authenticator apps.
const DefaultTotpIssuer = "gqlauth"

// MfaOptions configure the second factor.
type MfaOptions struct {
	// Issuer is the otpauth URI's issuer (TOTP_ISSUER); "" means
	// DefaultTotpIssuer.
	Issuer string
	// Key is the AES-256 key sealing TOTP secrets (see DeriveMfaKey).
	// Without it nobody can enroll or prove a factor (the CLI needs none:
	// it only removes factors).
	Key []byte
	// PreviousKeys (MFA_ENCRYPTION_KEY_PREVIOUS) still open secrets sealed
	// before a rotation of Key; such a secret is sealed again under Key
	// when its code is next accepted, or by RekeyTotpSecrets.
	PreviousKeys [][]byte
	// RequireAdmin is REQUIRE_ADMIN_MFA (see RequireAdminFactor).
	RequireAdmin bool
}

// TotpFactor is a user's authenticator, as the store keeps it.
type TotpFactor struct {
	UserID    string `db:"user_id"`
	SecretEnc string `db:"secret_enc"` // sealed by secretBox
	LastStep  int64  `db:"last_step"`  // last accepted time step; 0: none yet
	// FailedCodes counts wrong codes since the last right one.
	FailedCodes int       `db:"failed_codes"`
	CreatedAt   time.Time `db:"created_at"`
}

// MaxTotpFailures is how many wrong codes in a row an authenticator takes
// before it is refused until a recovery code (or an administrator's
// reset) proves the user: the per-window throttle alone would let a
// holder of the password guess on for ever (NIST SP 800-63B caps
// consecutive failures at 100).
const MaxTotpFailures = 100

// MfaChallenge is a login waiting for its second factor. ID is the SHA-256
// of the mfaToken the client holds: the store never sees the token.
type MfaChallenge struct {
	ID        string     `db:"id"`
	UserID    string     `db:"user_id"`
	CreatedAt time.Time  `db:"created_at"`
	ExpiresAt time.Time  `db:"expires_at"`
	UsedAt    *time.Time `db:"used_at"`
	// Method is how the first step was proved (an amr): AMRPassword, or
	// AMRExternal after a provider's sign-in.
	Method string `db:"method"`
}

// firstFactor is the amr of the challenge's first step.
func (c *MfaChallenge) firstFactor() string {
	if c.Method == "" {
		return AMRPassword
	}
	return c.Method
}

// TotpEnrollment is what enrollTotp shows once: the new secret, as text,
// as an otpauth URI and as that URI's QR code.
type TotpEnrollment struct {
	Secret, URI, QRSvg string
}

// mfaQueries are the second factor's writes inside a transaction (part of
// Queries).
type mfaQueries interface {
	// SetUserMfa marks a user's second factor enabled (at now) or not.
	SetUserMfa(ctx context.Context, userID string, enabled bool, now time.Time) error
	// PutTotpFactor stores f, replacing the user's factor if any.
	PutTotpFactor(ctx context.Context, f *TotpFactor) error
	// DeleteMfa removes a user's factor and recovery codes; it reports
	// whether there was a factor.
	DeleteMfa(ctx context.Context, userID string) (bool, error)
	// AdvanceTotpStep records step as the user's last accepted one, only
	// if it is later than the recorded one; false means it was not (a
	// replay), and nothing changed.
	AdvanceTotpStep(ctx context.Context, userID, secretEnc string, step int64) (bool, error)
	// ResealTotpSecret replaces the user's sealed secret oldEnc by newEnc
	// (the same secret under another key); false when the factor holds
	// oldEnc no more (replaced, removed or resealed meanwhile).
	ResealTotpSecret(ctx context.Context, userID, oldEnc, newEnc string) (bool, error)
	// ClearTotpFailures forgets the wrong codes of a user's authenticator.
	ClearTotpFailures(ctx context.Context, userID string) error
	// ReplaceRecoveryCodes replaces every recovery code of the user.
	ReplaceRecoveryCodes(ctx context.Context, userID string, hashes []string, now time.Time) error
	// UseRecoveryCode marks the unused code with hash as used at now;
	// false when the user has no such unused code.
	UseRecoveryCode(ctx context.Context, userID, hash string, now time.Time) (bool, error)
	// CreateMfaChallenge inserts c.
	CreateMfaChallenge(ctx context.Context, c *MfaChallenge) error
	// ConsumeMfaChallenge marks the challenge used, only if it is unused
	// and unexpired at now; false otherwise.
	ConsumeMfaChallenge(ctx context.Context, id string, now time.Time) (bool, error)
}

// mfaStore is what Mfa needs of the store outside transactions.
type mfaStore interface {
	txRunner
	UserByID(ctx context.Context, id string) (*User, error)
	// TotpFactor reads a user's factor; ErrNotFound when there is none.
	TotpFactor(ctx context.Context, userID string) (*TotpFactor, error)
	// CountTotpFailure counts a wrong code and returns the count so far.
	CountTotpFailure(ctx context.Context, userID string) (int, error)
	// MfaChallenge reads a challenge; ErrNotFound when there is none.
	MfaChallenge(ctx context.Context, id string) (*MfaChallenge, error)
	// TotpFactorsAfter lists up to limit factors, in user id order, of
	// users after afterUserID ("" from the first).
	TotpFactorsAfter(ctx context.Context, afterUserID string, limit int) ([]TotpFactor, error)
	// ResealTotpSecret is mfaQueries' ResealTotpSecret, outside a transaction.
	ResealTotpSecret(ctx context.Context, userID, oldEnc, newEnc string) (bool, error)
	// RecoveryCodesLeft counts a user's unused recovery codes.
	RecoveryCodesLeft(ctx context.Context, userID string) (int, error)
}

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

// MfaEnabled reports whether the account has a confirmed second factor.
func (u *User) MfaEnabled() bool { return u.MfaEnabledAt != nil }
