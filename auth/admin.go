package auth

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// adminStore is what Admin needs of the store.
type adminStore interface {
	txRunner
	UserByID(ctx context.Context, id string) (*User, error)
	UserByEmail(ctx context.Context, email string) (*User, error)
	// ListUsers returns one page of users in (created_at, id) order.
	ListUsers(ctx context.Context, page UserPage) ([]User, error)
	// ListAuditEvents returns one page of audit events, newest first.
	ListAuditEvents(ctx context.Context, page AuditPage) ([]AuditEvent, error)
	// Stats computes the adminStats figures; the login counts cover events
	// since `since`.
	Stats(ctx context.Context, now, since time.Time) (*Stats, error)
}

// Admin are the administrative use cases. Each demands RequireAdmin (to
// read) or RequireFreshAdmin (to change) of the caller, the same rules the
// schema's directives apply: an ADMIN through GraphQL, or the operator
// (AsOperator) through the CLI, so that each use case exists once for both.
type Admin struct {
	store    adminStore
	guard    *Guard
	accounts *Accounts
	audit    *auditor
	now      func() time.Time
}

// UserList is one page of users and the cursor of its last one.
type UserList struct {
	Users       []User
	HasNextPage bool
	EndCursor   string
}

// AuditList is one page of audit events and the cursor of its last one.
type AuditList struct {
	Events      []AuditEvent
	HasNextPage bool
	EndCursor   string
}

// Users pages through users in creation order; search matches a part of
// the email.
func (a *Admin) Users(ctx context.Context, first int, after, search string) (*UserList, error) {
	if _, err := a.guard.authorize(ctx, RequireAdmin); err != nil {
		return nil, err
	}
	limit, err := pageSize(first)
	if err != nil {
		return nil, err
	}
	page := UserPage{Search: emailSearch(search), Limit: limit + 1}
	// No longer part can match an email, and SQLite refuses LIKE patterns
	// over 50,000 bytes as an error of its own.
	if len(page.Search) > maxEmailLen {
		return nil, BadInput("search", "search must be at most %d bytes", maxEmailLen)
	}
	if after != "" {
		if page.AfterCreated, page.AfterID, err = decodeUserCursor(after); err != nil {
			return nil, err
		}
	}
	users, err := a.store.ListUsers(ctx, page)
	if err != nil {
		return nil, Internal(err)
	}
	out := &UserList{Users: users}
	if len(users) > limit {
		out.Users, out.HasNextPage = users[:limit], true
	}
	if n := len(out.Users); n > 0 {
		out.EndCursor = UserCursor(&out.Users[n-1])
	}
	return out, nil
}

// User returns one user, or nil when there is none.
func (a *Admin) User(ctx context.Context, id string) (*User, error) {
	if _, err := a.guard.authorize(ctx, RequireAdmin); err != nil {
		return nil, err
	}
	return userOrNil(ctx, a.store, id)
}

// UserByEmail returns the user with email; BAD_USER_INPUT when there is
// none. The CLI names accounts by email.
func (a *Admin) UserByEmail(ctx context.Context, email string) (*User, error) {
	if _, err := a.guard.authorize(ctx, RequireAdmin); err != nil {
		return nil, err
	}
	email, err := NormalizeEmail("email", email)
	if err != nil {
		return nil, err
	}
	u, err := a.store.UserByEmail(ctx, email)
	if errors.Is(err, ErrNotFound) {
		return nil, BadInput("email", "no user with this email")
	}
	if err != nil {
		return nil, Internal(err)
	}
	return u, nil
}

// CreateUser creates an account with role. It opens no session.
func (a *Admin) CreateUser(ctx context.Context, email, password string, role Role) (*User, error) {
	p, err := a.guard.authorize(ctx, RequireFreshAdmin)
	if err != nil {
		return nil, err
	}
	u, err := a.accounts.newUser(ctx, "", email, password, role, nil)
	if err != nil {
		return nil, err
	}
	err = a.store.Tx(ctx, func(q Queries) error {
		if err := insertUser(ctx, q, u); err != nil {
			return err
		}
		return q.AddAuditEvent(ctx, a.audit.event(ctx, EventRegister, u.ID, u.Email, p.actor()+" as "+string(role)))
	})
	if err != nil {
		return nil, wrap(err)
	}
	return u, nil
}

// SetRole changes a user's role. The change applies to the user's next
// request, because roles are read on every request.
func (a *Admin) SetRole(ctx context.Context, userID string, role Role) (*User, error) {
	p, err := a.guard.authorize(ctx, RequireFreshAdmin)
	if err != nil {
		return nil, err
	}
	if !role.Valid() {
		return nil, BadInput("role", "unknown role %q", role)
	}
	now := a.now().UTC()
	var u *User
	err = a.store.Tx(ctx, func(q Queries) error {
		old, err := q.UserByID(ctx, userID)
		if errors.Is(err, ErrNotFound) {
			return errNoSuchUser
		}
		if err != nil {
			return err
		}
		if err := q.SetUserRole(ctx, userID, role, now); err != nil {
			return err
		}
		if u, err = q.UserByID(ctx, userID); err != nil {
			return err
		}
		return q.AddAuditEvent(ctx, a.audit.event(ctx, EventRoleChanged, u.ID, u.Email,
			fmt.Sprintf("%s -> %s %s", old.Role, role, p.actor())))
	})
	if err != nil {
		return nil, wrap(err)
	}
	return u, nil
}

// errNoSuchUser answers an admin operation on an id that names no user.
var errNoSuchUser = BadInput("userId", "no user with this id")

// SetDisabled disables or enables an account. Disabling ends every session
// of the account at once.
func (a *Admin) SetDisabled(ctx context.Context, userID string, disabled bool) (*User, error) {
	p, err := a.guard.authorize(ctx, RequireFreshAdmin)
	if err != nil {
		return nil, err
	}
	if p.User.ID == userID && disabled {
		return nil, BadInput("userId", "you cannot disable your own account")
	}
	now := a.now().UTC()
	detail := p.actor()
	var u *User
	err = a.store.Tx(ctx, func(q Queries) error {
		err := q.SetUserDisabled(ctx, userID, disabled, now)
		if errors.Is(err, ErrNotFound) {
			return errNoSuchUser
		}
		if err != nil {
			return err
		}
		typ := EventUserEnabled
		if disabled {
			typ = EventUserDisabled
			n, err := endUserSessions(ctx, q, userID, "", now)
			if err != nil {
				return err
			}
			detail = fmt.Sprintf("%s; ended %d sessions", detail, n)
		}
		if u, err = q.UserByID(ctx, userID); err != nil {
			return err
		}
		return q.AddAuditEvent(ctx, a.audit.event(ctx, typ, u.ID, u.Email, detail))
	})
	if err != nil {
		return nil, wrap(err)
	}
	return u, nil
}

// SetClaims replaces the custom claims issued in a user's access tokens
// (nil clears them): a JSON object of at most MaxCustomClaimsBytes. They
// reach the user's tokens at the next login or refresh.
func (a *Admin) SetClaims(ctx context.Context, userID string, claims any) (*User, error) {
	p, err := a.guard.authorize(ctx, RequireFreshAdmin)
	if err != nil {
		return nil, err
	}
	raw, err := CheckCustomClaims("claims", claims)
	if err != nil {
		return nil, err
	}
	if err := a.checkShape(ctx, userID, raw); err != nil {
		return nil, err
	}
	now := a.now().UTC()
	var u *User
	err = a.store.Tx(ctx, func(q Queries) error {
		err := q.SetUserClaims(ctx, userID, raw, now)
		if errors.Is(err, ErrNotFound) {
			return errNoSuchUser
		}
		if err != nil {
			return err
		}
		if u, err = q.UserByID(ctx, userID); err != nil {
			return err
		}
		return q.AddAuditEvent(ctx, a.audit.event(ctx, EventClaimsChanged, u.ID, u.Email, fmt.Sprintf("%s; %d bytes", p.actor(), len(raw))))
	})
	if err != nil {
		return nil, wrap(err)
	}
	return u, nil
}

// checkShape refuses custom claims with which the user's tokens could not
// be issued (CLAIMS_TEMPLATE fails on them, or renders past its bound):
// every login and refresh of the user would fail.
func (a *Admin) checkShape(ctx context.Context, userID string, raw RawJSON) error {
	tokens := a.accounts.issue.tokens
	if tokens == nil { // the CLI issues no tokens
		return nil
	}
	u, err := a.store.UserByID(ctx, userID)
	if errors.Is(err, ErrNotFound) {
		return errNoSuchUser
	}
	if err != nil {
		return Internal(err)
	}
	u.CustomClaims = raw
	if err := tokens.CheckClaims(u); err != nil {
		return BadInput("claims", "the access tokens of this user could not be issued with these claims: %v", err)
	}
	return nil
}

// VerifyEmail marks a user's address verified without a link: for an
// operator who knows the address is the user's (CLI `user verify`).
func (a *Admin) VerifyEmail(ctx context.Context, userID string) (*User, error) {
	p, err := a.guard.authorize(ctx, RequireFreshAdmin)
	if err != nil {
		return nil, err
	}
	now := a.now().UTC()
	var u *User
	err = a.store.Tx(ctx, func(q Queries) error {
		err := q.SetEmailVerified(ctx, userID, now)
		if errors.Is(err, ErrNotFound) {
			return errNoSuchUser
		}
		if err != nil {
			return err
		}
		if err := q.DeleteLinkTokens(ctx, userID, PurposeVerifyEmail); err != nil {
			return err
		}
		if u, err = q.UserByID(ctx, userID); err != nil {
			return err
		}
		return q.AddAuditEvent(ctx, a.audit.event(ctx, EventEmailVerified, u.ID, u.Email, p.actor()))
	})
	if err != nil {
		return nil, wrap(err)
	}
	return u, nil
}

// RevokeSessions ends every session of a user and returns how many were
// active.
func (a *Admin) RevokeSessions(ctx context.Context, userID string) (int, error) {
	p, err := a.guard.authorize(ctx, RequireFreshAdmin)
	if err != nil {
		return 0, err
	}
	now := a.now().UTC()
	var n int
	err = a.store.Tx(ctx, func(q Queries) error {
		u, err := q.UserByID(ctx, userID)
		if errors.Is(err, ErrNotFound) {
			return errNoSuchUser
		}
		if err != nil {
			return err
		}
		if n, err = endUserSessions(ctx, q, userID, "", now); err != nil {
			return err
		}
		return q.AddAuditEvent(ctx, a.audit.event(ctx, EventSessionsRevoked, u.ID, u.Email, fmt.Sprintf("%s; ended %d sessions", p.actor(), n)))
	})
	return n, wrap(err)
}

// AuditEvents pages through the audit log, newest first, optionally for
// one user.
func (a *Admin) AuditEvents(ctx context.Context, first int, after, userID string) (*AuditList, error) {
	if _, err := a.guard.authorize(ctx, RequireAdmin); err != nil {
		return nil, err
	}
	limit, err := pageSize(first)
	if err != nil {
		return nil, err
	}
	page := AuditPage{UserID: userID, Limit: limit + 1}
	if after != "" {
		if page.BeforeID, err = decodeAuditCursor(after); err != nil {
			return nil, err
		}
	}
	events, err := a.store.ListAuditEvents(ctx, page)
	if err != nil {
		return nil, Internal(err)
	}
	out := &AuditList{Events: events}
	if len(events) > limit {
		out.Events, out.HasNextPage = events[:limit], true
	}
	if n := len(out.Events); n > 0 {
		out.EndCursor = AuditCursor(&out.Events[n-1])
	}
	return out, nil
}

// Stats returns the adminStats figures; the login counts cover 24 hours.
func (a *Admin) Stats(ctx context.Context) (*Stats, error) {
	if _, err := a.guard.authorize(ctx, RequireFreshAdmin); err != nil {
		return nil, err
	}
	now := a.now().UTC()
	st, err := a.store.Stats(ctx, now, now.Add(-24*time.Hour))
	if err != nil {
		return nil, Internal(err)
	}
	return st, nil
}
