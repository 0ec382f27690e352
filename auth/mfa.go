package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
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
		m.box, m.boxErr = newSecretBox(opts.Key)
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
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, Internal(err)
	}
	tok := base64.RawURLEncoding.EncodeToString(raw)
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
func challengeID(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// VerifyMfa completes a login with a current TOTP code or an unused
// recovery code: it spends the mfaToken and opens a session whose tokens
// say how the user proved themselves (amr) and at what level (aal2). A
// wrong code leaves the mfaToken usable until it expires; every code
// tried counts against the account's throttle, which no new login resets.
func (m *Mfa) VerifyMfa(ctx context.Context, mfaToken, code string) (*AuthResult, error) {
	ip := m.throttle.IP(ctx, "verifyMfa")
	if err := m.throttle.Check(ctx, ip); err != nil {
		return nil, err
	}
	c, err := m.pendingChallenge(ctx, mfaToken)
	if err != nil {
		if ErrorCode(err) == CodeUnauthenticated {
			m.throttle.Fail(ctx, ip) // guessing tokens costs like guessing refresh tokens
		}
		return nil, err
	}
	u, err := m.store.UserByID(ctx, c.UserID)
	if errors.Is(err, ErrNotFound) {
		return nil, Unauthenticated(ReasonTokenInvalid)
	}
	if err != nil {
		return nil, Internal(err)
	}
	if u.Disabled() {
		return nil, errAccountDisabled
	}
	if !u.MfaEnabled() { // reset since the password step
		return nil, Unauthenticated(ReasonTokenInvalid)
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
	now := m.now().UTC()
	var res *AuthResult
	err = m.store.Tx(ctx, func(q Queries) error {
		ok, err := q.ConsumeMfaChallenge(ctx, c.ID, now)
		if err != nil {
			return err
		}
		if !ok { // spent by a racing request, or expired meanwhile
			return Unauthenticated(ReasonTokenInvalid)
		}
		if err := m.spend(ctx, q, proof, now); err != nil {
			return err
		}
		if err := m.throttle.ResetIn(ctx, q, proof.key); err != nil {
			return err
		}
		if res, err = m.issue.openSessionAMR(ctx, q, u, now, []string{c.firstFactor(), proof.method}); err != nil {
			return err
		}
		if proof.method == AMRRecovery {
			if err := q.AddAuditEvent(ctx, m.audit.event(ctx, EventRecoveryCodeUsed, u.ID, u.Email, "login")); err != nil {
				return err
			}
		}
		return q.AddAuditEvent(ctx, m.audit.event(ctx, EventLoginSucceeded, u.ID, u.Email, "with "+proof.method))
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

// factorProof is a code found right for a user, still to be spent inside
// the transaction that acts on it (spend), so that two requests with one
// code cannot both succeed.
type factorProof struct {
	userID string
	method string // AMROTP or AMRRecovery
	step   int64  // the TOTP code's time step
	secret string // the sealed secret the TOTP code was checked against
	hash   string // the recovery code's hash
	key    ThrottleKey
}

// prove checks code against u's authenticator (and, when recovery is
// allowed, u's unused recovery codes). Every attempt counts against the
// account's "mfa" throttle before any work, so racing guesses cannot slip
// under the limit; success forgets them (in the spending transaction).
func (m *Mfa) prove(ctx context.Context, u *User, code string, recovery bool) (*factorProof, error) {
	key := m.throttle.Account("mfa", u.ID)
	if err := m.throttle.Take(ctx, m.throttle.IP(ctx, "mfa"), key); err != nil {
		return nil, err
	}
	code = strings.TrimSpace(code)
	if code == "" || len(code) > maxCodeLen {
		return nil, errWrongCode
	}
	if !isTotpCode(code) {
		if !recovery {
			return nil, errWrongCode
		}
		return &factorProof{userID: u.ID, method: AMRRecovery, hash: hashRecoveryCode(code), key: key}, nil
	}
	if m.box == nil {
		return nil, Internal(m.boxErr)
	}
	f, err := m.store.TotpFactor(ctx, u.ID)
	if errors.Is(err, ErrNotFound) {
		if !u.MfaEnabled() {
			return nil, errNoPendingTotp
		}
		return nil, errWrongCode
	}
	if err != nil {
		return nil, Internal(err)
	}
	if f.FailedCodes >= MaxTotpFailures {
		return nil, errTotpLocked
	}
	secret, err := m.box.open(u.ID, f.SecretEnc)
	if err != nil {
		return nil, Internal(fmt.Errorf("user %s: %w", u.ID, err))
	}
	step, ok := matchTotp(secret, code, m.now())
	if !ok {
		n, err := m.store.CountTotpFailure(ctx, u.ID)
		if err != nil {
			m.log.ErrorContext(ctx, "wrong second-factor code not counted", "user_id", u.ID, "err", err)
		} else if n == MaxTotpFailures {
			m.audit.record(ctx, EventMfaLocked, u.ID, u.Email, fmt.Sprintf("%d wrong codes in a row", n))
		}
		return nil, errWrongCode
	}
	if step <= f.LastStep {
		return nil, errCodeUsed
	}
	return &factorProof{userID: u.ID, method: AMROTP, step: step, secret: f.SecretEnc, key: key}, nil
}

// spend uses a proof up inside q's transaction: it moves the last
// accepted time step forward (refusing a code whose step, or a later one,
// was accepted meanwhile) or marks the recovery code used.
func (m *Mfa) spend(ctx context.Context, q Queries, pr *factorProof, now time.Time) error {
	if pr.method == AMRRecovery {
		ok, err := q.UseRecoveryCode(ctx, pr.userID, pr.hash, now)
		if err != nil {
			return err
		}
		if !ok { // unknown and used alike: the answer does not say which
			return errWrongCode
		}
		return q.ClearTotpFailures(ctx, pr.userID)
	}
	ok, err := q.AdvanceTotpStep(ctx, pr.userID, pr.secret, pr.step)
	if err != nil {
		return err
	}
	if !ok {
		return errCodeUsed
	}
	return nil
}

// MfaEnabled reports whether the account has a confirmed second factor.
func (u *User) MfaEnabled() bool { return u.MfaEnabledAt != nil }
