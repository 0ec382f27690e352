package auth

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// EmailChange moves an account to a new address, in two steps: the
// caller asks (with a fresh token), and a link mailed to the new address
// confirms it, so an account never takes an address it cannot read. The
// old address is told of the request.
type EmailChange struct {
	store    recoveryStore
	guard    *Guard
	throttle *Throttle
	links    *links
	audit    *auditor
	now      func() time.Time
}

// Request mails a confirmation link to newEmail and a notice to the
// caller's current address. It refuses an address another account holds
// with EMAIL_TAKEN, as register does, so it tells nothing register does
// not.
func (c *EmailChange) Request(ctx context.Context, newEmail string) error {
	p, err := c.guard.authorize(ctx, requireFreshSession)
	if err != nil {
		return err
	}
	newEmail, err = NormalizeEmail("newEmail", newEmail)
	if err != nil {
		return err
	}
	if err := c.throttle.Take(ctx, c.throttle.IP(ctx, "requestEmailChange"),
		c.throttle.Account("requestEmailChange", p.User.ID)); err != nil {
		return err
	}
	u := p.User
	if newEmail == u.Email {
		return BadInput("newEmail", "this is already the account's address")
	}
	switch _, err := c.store.UserByEmail(ctx, newEmail); {
	case err == nil:
		return errEmailTaken
	case !errors.Is(err, ErrNotFound):
		return Internal(err)
	}
	now := c.now().UTC()
	err = c.store.Tx(ctx, func(q Queries) error {
		if err := c.links.send(ctx, q, &u, PurposeChangeEmail, newEmail, now); err != nil {
			return err
		}
		notice := &Mail{To: u.Email, Template: MailEmailChanged, Data: map[string]string{"Email": u.Email, "NewEmail": newEmail}}
		if err := q.EnqueueMail(ctx, notice, now); err != nil {
			return err
		}
		return q.AddAuditEvent(ctx, c.audit.event(ctx, EventEmailChangeAsked, u.ID, u.Email, "to "+newEmail))
	})
	return wrap(err)
}

// Confirm spends a change link's token and switches the account to the
// address it was mailed to, verified. Like a password reset it ends every
// session of the user and drops every other unused link (those mailed to
// the old address included).
func (c *EmailChange) Confirm(ctx context.Context, token string) (*User, error) {
	var u *User
	err := redeem(ctx, c.throttle, c.audit, "confirmEmailChange", func() error {
		now := c.now().UTC()
		return c.store.Tx(ctx, func(q Queries) error {
			t, err := c.links.use(ctx, q, token, PurposeChangeEmail, now)
			if err != nil {
				return err
			}
			if u, err = q.UserForUpdate(ctx, t.UserID); err != nil {
				return err
			}
			if u.Disabled() {
				return errLinkInvalid
			}
			old := u.Email
			if err := q.SetEmail(ctx, u.ID, t.Email, now); err != nil {
				if errors.Is(err, ErrDuplicateEmail) {
					return errEmailTaken // taken since the request; the link stays unused
				}
				return err
			}
			n, err := endUserSessions(ctx, q, u.ID, "", now)
			if err != nil {
				return err
			}
			u.Email, u.EmailVerifiedAt, u.UpdatedAt = t.Email, &now, now
			return q.AddAuditEvent(ctx, c.audit.event(ctx, EventEmailChanged, u.ID, u.Email,
				fmt.Sprintf("from %s; ended %d sessions", old, n)))
		})
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}
