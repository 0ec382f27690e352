package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// recoveryStore is what Recovery needs of the store.
type recoveryStore interface {
	txRunner
	// UserByEmail looks up a normalized email; ErrNotFound when absent.
	UserByEmail(ctx context.Context, email string) (*User, error)
}

// DefaultResetRequestFloor is how long requestPasswordReset takes at least,
// whether or not the address has an account. It is well above what the
// work for an existing account costs (a lookup and one small transaction),
// so both answers leave at the floor and their timing tells nothing.
const DefaultResetRequestFloor = 250 * time.Millisecond

// Recovery lets a person who forgot their password set a new one through
// a link mailed to their address.
type Recovery struct {
	store    recoveryStore
	hasher   *Hasher
	throttle *Throttle
	links    *links
	audit    *auditor
	log      *slog.Logger
	now      func() time.Time
	// floor and sleep pace RequestReset (see DefaultResetRequestFloor).
	floor time.Duration
	sleep func(context.Context, time.Duration)
}

// RequestReset mails a reset link when email has an account, and does
// nothing otherwise; either way it answers the same, after the same time
// (the floor), so that it cannot be used to learn which addresses have
// accounts. The throttle counts the address whether or not it has one.
func (r *Recovery) RequestReset(ctx context.Context, email string) error {
	email, err := NormalizeEmail("email", email)
	if err != nil {
		return err
	}
	if err := r.throttle.Take(ctx, r.throttle.IP(ctx, "requestPasswordReset"),
		r.throttle.Account("requestPasswordReset", email)); err != nil {
		return err
	}
	start := time.Now()
	err = r.requestReset(ctx, email)
	if spent := time.Since(start); spent > r.floor {
		// The answer's timing now differs from an unknown address's: say
		// so, for the operator to raise the floor.
		r.log.WarnContext(ctx, "requestPasswordReset took longer than its floor", "took", spent, "floor", r.floor)
	} else {
		r.sleep(ctx, r.floor-spent)
	}
	return err
}

func (r *Recovery) requestReset(ctx context.Context, email string) error {
	u, err := r.store.UserByEmail(ctx, email)
	if errors.Is(err, ErrNotFound) {
		r.audit.record(ctx, EventPasswordResetAsked, "", email, "no such account; nothing sent")
		return nil
	}
	if err != nil {
		return Internal(err)
	}
	// A disabled account gets no link: its password would change, but it
	// still could not log in, and an administrator disabled it for a reason.
	if u.Disabled() {
		r.audit.record(ctx, EventPasswordResetAsked, u.ID, u.Email, "account disabled; nothing sent")
		return nil
	}
	now := r.now().UTC()
	err = r.store.Tx(ctx, func(q Queries) error {
		if err := r.links.send(ctx, q, u, PurposeResetPassword, u.Email, now); err != nil {
			return err
		}
		return q.AddAuditEvent(ctx, r.audit.event(ctx, EventPasswordResetAsked, u.ID, u.Email, "link sent"))
	})
	return wrap(err)
}

// Reset sets a new password from a reset link's token, once. It ends
// every session of the user (whoever had the old password is logged out),
// marks the address verified (the link reached it), and forgets the
// account's failed logins.
func (r *Recovery) Reset(ctx context.Context, token, newPassword string) error {
	if err := ValidatePassword("newPassword", newPassword); err != nil {
		return err
	}
	return redeem(ctx, r.throttle, r.audit, "resetPassword", func() error {
		// The token is checked before the password is hashed: a hash
		// costs tens of milliseconds and megabytes, not to be spent on
		// garbage. The transaction below spends it for real.
		if err := r.links.check(ctx, token, PurposeResetPassword, r.now().UTC()); err != nil {
			return err
		}
		hash, err := r.hasher.Hash(ctx, newPassword)
		if err != nil {
			return hashErr(err)
		}
		now := r.now().UTC()
		return r.store.Tx(ctx, func(q Queries) error {
			t, err := r.links.use(ctx, q, token, PurposeResetPassword, now)
			if err != nil {
				return err
			}
			u, err := q.UserForUpdate(ctx, t.UserID)
			if err != nil {
				return err
			}
			// Mailed to an address the account has since left: the link
			// no longer reaches the account's owner.
			if !strings.EqualFold(u.Email, t.Email) || u.Disabled() {
				return errLinkInvalid
			}
			if err := q.SetPasswordHash(ctx, u.ID, hash, now); err != nil {
				return err
			}
			// Until now nobody had proved the address: identities linked
			// meanwhile (a provider's sign-in claiming an address it did
			// not verify) may be someone else's, and must not share the
			// account with the address's owner, who just took it.
			unlinked := 0
			if !u.EmailVerified() {
				if unlinked, err = q.DeleteUserIdentities(ctx, u.ID); err != nil {
					return err
				}
			}
			if err := q.SetEmailVerified(ctx, u.ID, now); err != nil {
				return err
			}
			n, err := endUserSessions(ctx, q, u.ID, "", now)
			if err != nil {
				return err
			}
			if unlinked > 0 {
				if err := q.AddAuditEvent(ctx, r.audit.event(ctx, EventIdentityUnlinked, u.ID, u.Email,
					fmt.Sprintf("%d identities: the reset proved the unverified address", unlinked))); err != nil {
					return err
				}
			}
			if err := r.throttle.ResetIn(ctx, q, r.throttle.Account("login", u.Email)); err != nil {
				return err
			}
			return q.AddAuditEvent(ctx, r.audit.event(ctx, EventPasswordReset, u.ID, u.Email, fmt.Sprintf("ended %d sessions", n)))
		})
	})
}

// sleepCtx waits d, or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
