package auth

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// accountStore is what Accounts needs of the store.
type accountStore interface {
	txRunner
	// UserByID returns ErrNotFound when there is no such user.
	UserByID(ctx context.Context, id string) (*User, error)
	// UserByEmail looks up a normalized email; ErrNotFound when absent.
	UserByEmail(ctx context.Context, email string) (*User, error)
}

// txRunner runs a function in a transaction: every use case that changes
// more than one row goes through it.
type txRunner interface {
	// Tx runs fn in a transaction and commits when fn returns nil. The
	// Queries passed to fn see and write only through that transaction.
	Tx(ctx context.Context, fn func(q Queries) error) error
}

// Accounts are the use cases of a person and their password: register, log
// in, change the password, read their own account.
type Accounts struct {
	store    accountStore
	guard    *Guard
	hasher   *Hasher
	throttle *Throttle
	issue    *issuer
	audit    *auditor
	now      func() time.Time
	links    *links
	// requireVerified refuses logins to accounts whose address is not
	// verified (REQUIRE_VERIFIED_EMAIL).
	requireVerified bool
	mfa             *Mfa
}

// Register creates a USER account, mails a link to verify its address,
// and logs it in with a fresh token. When verified addresses are required
// it opens no session: the account and its link are committed, and the
// answer is EMAIL_NOT_VERIFIED, the same a login would give.
func (a *Accounts) Register(ctx context.Context, email, password string) (*AuthResult, error) {
	u, err := a.newUser(ctx, "input.", email, password, RoleUser, func(email string) error {
		return a.throttle.Take(ctx, a.throttle.IP(ctx, "register"), a.throttle.Account("register", email))
	})
	if err != nil {
		return nil, err
	}
	var res *AuthResult
	err = a.store.Tx(ctx, func(q Queries) error {
		if err := insertUser(ctx, q, u); err != nil {
			return err
		}
		if err := a.links.send(ctx, q, u, PurposeVerifyEmail, u.Email, u.CreatedAt); err != nil {
			return err
		}
		if err := q.AddAuditEvent(ctx, a.audit.event(ctx, EventRegister, u.ID, u.Email, "")); err != nil {
			return err
		}
		if a.requireVerified {
			return nil
		}
		res, err = a.issue.openSession(ctx, q, u, u.CreatedAt)
		return err
	})
	if err != nil {
		return nil, wrap(err)
	}
	if res == nil {
		return nil, errEmailNotVerified
	}
	return res, nil
}

// newUser validates an email and a password (fields prefix the input
// names for errors), lets admit refuse the attempt before any work, and
// hashes the password: everything that creating an account needs before
// its transaction. The hash is computed outside the transaction because
// argon2id takes tens of milliseconds and must not hold a connection or a
// lock while it runs.
func (a *Accounts) newUser(ctx context.Context, fields, email, password string, role Role, admit func(email string) error) (*User, error) {
	email, err := NormalizeEmail(fields+"email", email)
	if err != nil {
		return nil, err
	}
	if err := ValidatePassword(fields+"password", password); err != nil {
		return nil, err
	}
	if !role.Valid() {
		return nil, BadInput(fields+"role", "unknown role %q", role)
	}
	if admit != nil {
		if err := admit(email); err != nil {
			return nil, err
		}
	}
	hash, err := a.hasher.Hash(ctx, password)
	if err != nil {
		return nil, hashErr(err)
	}
	now := a.now().UTC()
	return &User{ID: NewID(), Email: email, PasswordHash: hash, Role: role, CreatedAt: now, UpdatedAt: now}, nil
}

// insertUser adds u, answering EMAIL_TAKEN for an address in use.
func insertUser(ctx context.Context, q Queries, u *User) error {
	if err := q.CreateUser(ctx, u); err != nil {
		if errors.Is(err, ErrDuplicateEmail) {
			return errEmailTaken
		}
		return err
	}
	return nil
}

// Login checks credentials and opens a session with a fresh access token.
// An unknown email and a wrong password give the same error after the same
// work, so neither the answer nor its timing tells which accounts exist.
func (a *Accounts) Login(ctx context.Context, email, password string) (*AuthResult, error) {
	email, err := NormalizeEmail("input.email", email)
	if err != nil {
		return nil, err
	}
	if password == "" {
		return nil, BadInput("input.password", "password is required")
	}
	if len(password) > MaxPasswordBytes {
		return nil, BadInput("input.password", "password must be at most %d bytes", MaxPasswordBytes)
	}
	account := a.throttle.Account("login", email)
	if err := a.throttle.Take(ctx, a.throttle.IP(ctx, "login"), account); err != nil {
		return nil, err
	}
	u, err := a.store.UserByEmail(ctx, email)
	if errors.Is(err, ErrNotFound) {
		if err := a.hasher.VerifyDummy(ctx, password); err != nil {
			return nil, hashErr(err)
		}
		a.audit.record(ctx, EventLoginFailed, "", email, "unknown email")
		return nil, errInvalidCredentials
	}
	if err != nil {
		return nil, Internal(err)
	}
	if !u.HasPassword() {
		// An account made by a provider's sign-in: no password can match,
		// and the answer and its cost are an unknown email's.
		if err := a.hasher.VerifyDummy(ctx, password); err != nil {
			return nil, hashErr(err)
		}
		a.audit.record(ctx, EventLoginFailed, u.ID, email, "no password (signs in with a provider)")
		return nil, errInvalidCredentials
	}
	ok, rehash, err := a.hasher.Verify(ctx, password, u.PasswordHash)
	if err != nil {
		if errors.Is(err, ErrHashBusy) {
			return nil, hashErr(err)
		}
		return nil, Internal(fmt.Errorf("user %s: %w", u.ID, err))
	}
	if !ok {
		a.audit.record(ctx, EventLoginFailed, u.ID, email, "wrong password")
		return nil, errInvalidCredentials
	}
	// Told only to whoever knows the password, so it reveals nothing more.
	if u.Disabled() {
		a.throttle.Reset(ctx, account)
		a.audit.record(ctx, EventLoginFailed, u.ID, email, "account disabled")
		return nil, errAccountDisabled
	}
	if a.requireVerified && !u.EmailVerified() {
		a.throttle.Reset(ctx, account)
		a.audit.record(ctx, EventLoginFailed, u.ID, email, "email not verified")
		// sendVerificationEmail needs a session this account cannot
		// open: whoever proved the password gets a new link here.
		a.resendVerification(ctx, u)
		return nil, errLoginNotVerified
	}
	newHash := ""
	if rehash {
		if newHash, err = a.hasher.Hash(ctx, password); err != nil {
			return nil, hashErr(err)
		}
	}
	if u.MfaEnabled() { // the second step: verifyMfa opens the session
		return a.mfa.challenge(ctx, u, account, newHash)
	}
	now := a.now().UTC()
	var res *AuthResult
	err = a.store.Tx(ctx, func(q Queries) error {
		if newHash != "" {
			if err := q.SetPasswordHash(ctx, u.ID, newHash, now); err != nil {
				return err
			}
		}
		if err := a.throttle.ResetIn(ctx, q, account); err != nil {
			return err
		}
		if res, err = a.issue.openSession(ctx, q, u, now); err != nil {
			return err
		}
		return q.AddAuditEvent(ctx, a.audit.event(ctx, EventLoginSucceeded, u.ID, u.Email, ""))
	})
	if err != nil {
		return nil, wrap(err)
	}
	return res, nil
}

// resendVerification mails u a new verification link, within the
// sendVerificationEmail throttle of the account; a failure is logged, as
// the login's answer does not depend on it.
func (a *Accounts) resendVerification(ctx context.Context, u *User) {
	if a.throttle.Take(ctx, a.throttle.Account("sendVerificationEmail", u.ID)) != nil {
		return
	}
	now := a.now().UTC()
	err := a.store.Tx(ctx, func(q Queries) error {
		if err := a.links.send(ctx, q, u, PurposeVerifyEmail, u.Email, now); err != nil {
			return err
		}
		return q.AddAuditEvent(ctx, a.audit.event(ctx, EventVerificationSent, u.ID, u.Email, "at a refused login"))
	})
	if err != nil {
		a.audit.log.ErrorContext(ctx, "verification link not sent", "user_id", u.ID, "err", err)
	}
}

// ChangePassword replaces the caller's password after checking the current
// one, and ends every other session of the caller. It needs a fresh token.
func (a *Accounts) ChangePassword(ctx context.Context, current, next string) error {
	p, err := a.guard.authorize(ctx, requireFreshSession)
	if err != nil {
		return err
	}
	if err := ValidatePassword("newPassword", next); err != nil {
		return err
	}
	if len(current) > MaxPasswordBytes {
		return errInvalidCredentials
	}
	account := a.throttle.Account("changePassword", p.User.ID)
	if err := a.throttle.Take(ctx, a.throttle.IP(ctx, "changePassword"), account); err != nil {
		return err
	}
	u, err := a.store.UserByID(ctx, p.User.ID)
	if err != nil {
		return Internal(err)
	}
	if !u.HasPassword() {
		return &Error{Code: CodeBadUserInput, Field: "currentPassword",
			Message: "this account has no password yet (it signs in with a provider): set one with requestPasswordReset, which mails a link to your address"}
	}
	ok, _, err := a.hasher.Verify(ctx, current, u.PasswordHash)
	if err != nil {
		return hashErr(err)
	}
	if !ok {
		return &Error{Code: CodeInvalidCredentials, Field: "currentPassword", Message: "current password is incorrect"}
	}
	a.throttle.Reset(ctx, account)
	hash, err := a.hasher.Hash(ctx, next)
	if err != nil {
		return hashErr(err)
	}
	now := a.now().UTC()
	err = a.store.Tx(ctx, func(q Queries) error {
		if err := q.SetPasswordHash(ctx, u.ID, hash, now); err != nil {
			return err
		}
		n, err := endUserSessions(ctx, q, u.ID, p.Claims.SessionID, now)
		if err != nil {
			return err
		}
		return q.AddAuditEvent(ctx, a.audit.event(ctx, EventPasswordChanged, u.ID, u.Email, fmt.Sprintf("ended %d other sessions", n)))
	})
	return wrap(err)
}

// Me returns the caller's account.
func (a *Accounts) Me(ctx context.Context) (*User, error) {
	p, err := a.guard.authorize(ctx, anyone)
	if err != nil {
		return nil, err
	}
	u := p.User
	return &u, nil
}

// UserEntity resolves a federation reference to the user with id, for the
// caller in ctx: a caller may resolve their own account, an ADMIN any
// account. Anyone else gets FORBIDDEN, whether or not the id exists, so
// that a gateway's entity lookups cannot be used to probe for accounts. An
// ADMIN asking for an unknown id gets nil.
func (a *Accounts) UserEntity(ctx context.Context, id string) (*User, error) {
	p, err := a.guard.authorize(ctx, anyone)
	if err != nil {
		return nil, err
	}
	if p.User.ID == id {
		u := p.User
		return &u, nil
	}
	if err := RequireRole(p, RoleAdmin); err != nil {
		return nil, err
	}
	return userOrNil(ctx, a.store, id)
}

// userOrNil reads a user: nil, not an error, when there is none.
func userOrNil(ctx context.Context, store interface {
	UserByID(context.Context, string) (*User, error)
}, id string) (*User, error) {
	u, err := store.UserByID(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, Internal(err)
	}
	return u, nil
}

// hashErr maps a hashing failure: a saturated pool is the client's cue to
// back off, anything else is internal.
func hashErr(err error) error {
	if errors.Is(err, ErrHashBusy) {
		return RateLimitError(time.Second)
	}
	return Internal(err)
}

// wrap passes *Error through and turns anything else into an internal error.
func wrap(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Internal(err)
}
