package auth

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// errIdentityLinkRequired: the identity's email names an account that it
// may not join by itself.
var errIdentityLinkRequired = &Error{Code: CodeIdentityLinkRequired,
	Message: "an account with this email address exists: sign in to it the usual way, then link this provider from your account settings"}

// errRaced: a concurrent request created the account or the identity this
// one was creating; resolving again finds it.
var errRaced = errors.New("raced")

// signIn resolves the account of a verified identity and opens its
// session, or its second step when it has a second factor.
func (o *Oidc) signIn(ctx context.Context, ext *ExternalIdentity) (*AuthResult, error) {
	res, err := o.signInOnce(ctx, ext)
	if errors.Is(err, errRaced) {
		res, err = o.signInOnce(ctx, ext)
	}
	if errors.Is(err, errRaced) {
		return nil, Internal(fmt.Errorf("oidc sign-in of %s/%s: %w twice", ext.Provider, ext.Subject, err))
	}
	return res, err
}

func (o *Oidc) signInOnce(ctx context.Context, ext *ExternalIdentity) (*AuthResult, error) {
	// The account the email names, if any, is read outside the
	// transaction (Queries reads users by id); the transaction reads it
	// again under its row lock, and a registration racing this one is
	// caught by the email's unique index.
	email, emailErr := o.assertedEmail(ext)
	var holder *User
	if emailErr == nil {
		u, err := o.store.UserByEmail(ctx, email)
		switch {
		case err == nil:
			holder = u
		case !errors.Is(err, ErrNotFound):
			return nil, Internal(err)
		}
	}
	now := o.now().UTC()
	var (
		res     *AuthResult
		u       *User
		created bool
	)
	err := o.store.Tx(ctx, func(q Queries) error {
		id, err := q.IdentityBySubject(ctx, ext.Provider, ext.Subject)
		switch {
		case err == nil: // a returning identity: its account, whatever the email says now
			if u, err = q.UserByID(ctx, id.UserID); err != nil {
				return err
			}
		case !errors.Is(err, ErrNotFound):
			return err
		case holder != nil:
			if u, err = o.joinExisting(ctx, q, ext, holder.ID, email, now); err != nil {
				return err
			}
		case emailErr != nil:
			return emailErr
		default:
			if u, err = o.createAccount(ctx, q, ext, email, now); err != nil {
				return err
			}
			created = true
		}
		if u.Disabled() {
			return errAccountDisabled
		}
		if o.requireVerified && !u.EmailVerified() {
			if created { // its verification link goes out with it, as at register
				return o.links.send(ctx, q, u, PurposeVerifyEmail, u.Email, now)
			}
			return nil
		}
		if u.MfaEnabled() {
			return nil // the second step, below
		}
		if res, err = o.issue.openSessionAMR(ctx, q, u, now, []string{AMRExternal}); err != nil {
			return err
		}
		return q.AddAuditEvent(ctx, o.audit.event(ctx, EventLoginSucceeded, u.ID, u.Email, "with "+ext.Provider))
	})
	if err != nil {
		if errors.Is(err, errRaced) {
			return nil, err
		}
		if errors.Is(err, errAccountDisabled) {
			o.audit.record(ctx, EventLoginFailed, u.ID, u.Email, "account disabled; with "+ext.Provider)
		}
		return nil, wrap(err)
	}
	switch {
	case res != nil:
		return res, nil
	case o.requireVerified && !u.EmailVerified():
		o.audit.record(ctx, EventLoginFailed, u.ID, u.Email, "email not verified; with "+ext.Provider)
		if created {
			return nil, errEmailNotVerified
		}
		o.accounts.resendVerification(ctx, u)
		return nil, errLoginNotVerified
	}
	return o.mfa.challengeAfter(ctx, u, AMRExternal, ThrottleKey{}, "")
}

// assertedEmail is the identity's email, normalized, or why there is none
// an account could be made with.
func (o *Oidc) assertedEmail(ext *ExternalIdentity) (string, error) {
	if ext.Email == "" {
		return "", &Error{Code: CodeBadUserInput, Field: "code", Reason: ReasonCodeRejected,
			Message: "the provider shared no email address, which an account needs (its scopes must include email)"}
	}
	email, err := NormalizeEmail("email", ext.Email)
	if err != nil {
		return "", &Error{Code: CodeBadUserInput, Field: "code", Reason: ReasonCodeRejected,
			Message: "the provider's email address cannot be used: " + err.(*Error).Message}
	}
	return email, nil
}

// joinExisting links an unknown identity to the account that holds its
// email, only if the provider asserts email_verified, the account's
// address is verified, and the account has no second factor (which a
// provider's sign-in would otherwise step around): anything less and a
// provider that does not check addresses, or an account squatting an
// address it never proved, would hand one person's account to another.
func (o *Oidc) joinExisting(ctx context.Context, q Queries, ext *ExternalIdentity, userID, email string, now time.Time) (*User, error) {
	u, err := q.UserForUpdate(ctx, userID)
	if errors.Is(err, ErrNotFound) {
		return nil, errRaced // deleted meanwhile: resolve again
	}
	if err != nil {
		return nil, err
	}
	if !ext.EmailVerified || !u.EmailVerified() || u.MfaEnabled() {
		why := "email not verified by the provider"
		switch {
		case ext.EmailVerified && !u.EmailVerified():
			why = "the account's email is not verified"
		case ext.EmailVerified:
			why = "the account has a second factor"
		}
		e := *errIdentityLinkRequired
		e.Err = errors.New(why) // for the audit log (see refused)
		return nil, &e
	}
	if u.Disabled() {
		return nil, errAccountDisabled
	}
	if err := o.addIdentity(ctx, q, u.ID, ext, email, now); err != nil {
		return nil, err
	}
	if err := q.AddAuditEvent(ctx, o.audit.event(ctx, EventIdentityLinked, u.ID, u.Email,
		ext.Provider+" automatically: both the provider and the account verified the email")); err != nil {
		return nil, err
	}
	return u, nil
}

// createAccount makes a password-less account for a new identity: its
// email is verified only if the provider says so.
func (o *Oidc) createAccount(ctx context.Context, q Queries, ext *ExternalIdentity, email string, now time.Time) (*User, error) {
	u := &User{ID: NewID(), Email: email, Role: RoleUser, CreatedAt: now, UpdatedAt: now}
	if ext.EmailVerified {
		u.EmailVerifiedAt = &now
	}
	if err := q.CreateUser(ctx, u); err != nil {
		if errors.Is(err, ErrDuplicateEmail) {
			return nil, errRaced // registered meanwhile: that account's rules apply
		}
		return nil, err
	}
	if err := o.addIdentity(ctx, q, u.ID, ext, email, now); err != nil {
		return nil, err
	}
	if err := q.AddAuditEvent(ctx, o.audit.event(ctx, EventRegister, u.ID, u.Email, "via "+ext.Provider)); err != nil {
		return nil, err
	}
	return u, nil
}

// addIdentity links ext to userID.
func (o *Oidc) addIdentity(ctx context.Context, q Queries, userID string, ext *ExternalIdentity, email string, now time.Time) error {
	var e *string
	if email != "" {
		e = &email
	}
	err := q.AddIdentity(ctx, &Identity{Provider: ext.Provider, Subject: ext.Subject, UserID: userID, Email: e, CreatedAt: now})
	if errors.Is(err, ErrDuplicateIdentity) {
		return errRaced
	}
	return err
}

// link adds ext to the caller's account.
func (o *Oidc) link(ctx context.Context, p *Principal, ext *ExternalIdentity) error {
	email, _ := o.assertedEmail(ext) // shown in the account's identities; not needed to link
	now := o.now().UTC()
	err := o.store.Tx(ctx, func(q Queries) error {
		id, err := q.IdentityBySubject(ctx, ext.Provider, ext.Subject)
		switch {
		case err == nil && id.UserID == p.User.ID:
			return nil // linked already: a retried finish
		case err == nil:
			return BadInput("provider", "this %s account is linked to another account: unlink it there first", ext.Provider)
		case !errors.Is(err, ErrNotFound):
			return err
		}
		if err := o.addIdentity(ctx, q, p.User.ID, ext, email, now); err != nil {
			if errors.Is(err, errRaced) {
				return BadInput("provider", "your account is linked to %s already: unlink it first", ext.Provider)
			}
			return err
		}
		return q.AddAuditEvent(ctx, o.audit.event(ctx, EventIdentityLinked, p.User.ID, p.User.Email, ext.Provider))
	})
	return wrap(err)
}
