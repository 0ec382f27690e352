package auth

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Verification proves that an account receives mail at its address: a
// link is mailed to it, and opening the link marks the address verified.
type Verification struct {
	store    txRunner
	guard    *Guard
	throttle *Throttle
	links    *links
	audit    *auditor
	now      func() time.Time
}

// Send mails a new verification link to the caller's address, replacing
// any older one. It answers false, and sends nothing, when the address is
// already verified. Every call counts against the caller's throttle, so
// that it cannot be used to flood an inbox.
func (v *Verification) Send(ctx context.Context) (bool, error) {
	p, err := v.guard.authorize(ctx, requireSession)
	if err != nil {
		return false, err
	}
	if p.User.EmailVerified() {
		return false, nil
	}
	if err := v.throttle.Take(ctx, v.throttle.IP(ctx, "sendVerificationEmail"),
		v.throttle.Account("sendVerificationEmail", p.User.ID)); err != nil {
		return false, err
	}
	u, now := p.User, v.now().UTC()
	err = v.store.Tx(ctx, func(q Queries) error {
		if err := v.links.send(ctx, q, &u, PurposeVerifyEmail, u.Email, now); err != nil {
			return err
		}
		return q.AddAuditEvent(ctx, v.audit.event(ctx, EventVerificationSent, u.ID, u.Email, ""))
	})
	if err != nil {
		return false, wrap(err)
	}
	return true, nil
}

// Verify spends a verification link's token and marks the address it was
// mailed to verified. A token mailed to an address the account no longer
// has proves nothing and is refused.
func (v *Verification) Verify(ctx context.Context, token string) (*User, error) {
	var u *User
	err := redeem(ctx, v.throttle, v.audit, "verifyEmail", func() error {
		now := v.now().UTC()
		return v.store.Tx(ctx, func(q Queries) error {
			t, err := v.links.use(ctx, q, token, PurposeVerifyEmail, now)
			if err != nil {
				return err
			}
			if u, err = q.UserForUpdate(ctx, t.UserID); err != nil {
				return err
			}
			if !strings.EqualFold(u.Email, t.Email) || u.Disabled() {
				return errLinkInvalid
			}
			if err := proveAddress(ctx, q, v.audit, u, now, "the link proved the address"); err != nil {
				return err
			}
			return q.AddAuditEvent(ctx, v.audit.event(ctx, EventEmailVerified, u.ID, u.Email, ""))
		})
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// redeem runs a use of a mailed link under the per-IP throttle of action:
// only failures count (a working link is used once and then fails, so a
// client can only hammer with bad tokens), and a failure is audited
// without the token.
func redeem(ctx context.Context, t *Throttle, audit *auditor, action string, fn func() error) error {
	key := t.IP(ctx, action)
	if err := t.Check(ctx, key); err != nil {
		return err
	}
	err := wrap(fn())
	if e, ok := err.(*Error); ok && e.Field == "token" {
		t.Fail(ctx, key)
		audit.record(ctx, EventLinkTokenRejected, "", "", action+": "+string(e.Reason))
	}
	return err
}

// proveAddress marks u's address verified. When it was not, whoever held
// the account until now is unproven: the provider identities linked
// meanwhile (anyone who typed the address at a provider that does not
// verify it could have planted one) are removed and every session ends,
// so that the address's owner, who has just shown up, does not share the
// account with them.
func proveAddress(ctx context.Context, q Queries, audit *auditor, u *User, now time.Time, why string) error {
	if u.EmailVerified() {
		return nil
	}
	if err := q.SetEmailVerified(ctx, u.ID, now); err != nil {
		return err
	}
	u.EmailVerifiedAt = &now
	unlinked, err := q.DeleteUserIdentities(ctx, u.ID)
	if err != nil || unlinked == 0 {
		return err
	}
	if _, err := endUserSessions(ctx, q, u.ID, "", now); err != nil {
		return err
	}
	return q.AddAuditEvent(ctx, audit.event(ctx, EventIdentityUnlinked, u.ID, u.Email,
		fmt.Sprintf("%d identities linked while the address was unverified: %s", unlinked, why)))
}
