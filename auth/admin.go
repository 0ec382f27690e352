package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Page sizes of the admin lists.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

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

// ListUsers pages through users in creation order; search matches a part
// of the email. Admins only.
func (s *Service) ListUsers(ctx context.Context, first int, after, search string) (*UserList, error) {
	if _, err := s.RequireRole(ctx, RoleAdmin); err != nil {
		return nil, err
	}
	return s.listUsers(ctx, first, after, search)
}

func (s *Service) listUsers(ctx context.Context, first int, after, search string) (*UserList, error) {
	limit, err := pageSize(first)
	if err != nil {
		return nil, err
	}
	page := UserPage{Search: emailSearch(search), Limit: limit + 1}
	if after != "" {
		if page.AfterCreated, page.AfterID, err = decodeUserCursor(after); err != nil {
			return nil, err
		}
	}
	users, err := s.store.ListUsers(ctx, page)
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

// User returns one user, or nil when there is none. Admins only.
func (s *Service) User(ctx context.Context, id string) (*User, error) {
	if _, err := s.RequireRole(ctx, RoleAdmin); err != nil {
		return nil, err
	}
	return s.userOrNil(ctx, id)
}

// userOrNil reads a user for an admin: nil, not an error, when there is
// none.
func (s *Service) userOrNil(ctx context.Context, id string) (*User, error) {
	u, err := s.store.UserByID(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, Internal(err)
	}
	return u, nil
}

// UserEntity resolves a federation reference to the user with id, for the
// caller in ctx: a caller may resolve their own account, an ADMIN any
// account. Anyone else gets FORBIDDEN, whether or not the id exists, so
// that a gateway's entity lookups cannot be used to probe for accounts. An
// ADMIN asking for an unknown id gets nil.
func (s *Service) UserEntity(ctx context.Context, id string) (*User, error) {
	p, err := s.Authenticate(ctx)
	if err != nil {
		return nil, err
	}
	if p.User.ID == id {
		u := p.User
		return &u, nil
	}
	if err := p.CheckRole(RoleAdmin); err != nil {
		return nil, err
	}
	return s.userOrNil(ctx, id)
}

// SetUserDisabled disables or enables an account as the admin in ctx.
// Disabling ends every session of the account at once.
func (s *Service) SetUserDisabled(ctx context.Context, userID string, disabled bool) (*User, error) {
	p, err := s.RequireRole(ctx, RoleAdmin)
	if err != nil {
		return nil, err
	}
	if p.User.ID == userID && disabled {
		return nil, BadInput("userId", "you cannot disable your own account")
	}
	return s.setDisabled(ctx, userID, disabled, "by "+p.User.ID)
}

// SetDisabledByEmail is SetUserDisabled on an operator's authority (the CLI).
func (s *Service) SetDisabledByEmail(ctx context.Context, email string, disabled bool) (*User, error) {
	u, err := s.userByEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	return s.setDisabled(ctx, u.ID, disabled, "by operator")
}

func (s *Service) setDisabled(ctx context.Context, userID string, disabled bool, detail string) (*User, error) {
	now := s.now().UTC()
	var u *User
	err := s.store.Tx(ctx, func(q Queries) error {
		err := q.SetUserDisabled(ctx, userID, disabled, now)
		if errors.Is(err, ErrNotFound) {
			return BadInput("userId", "no user with this id")
		}
		if err != nil {
			return err
		}
		typ := EventUserEnabled
		if disabled {
			typ = EventUserDisabled
			n, err := q.RevokeUserSessions(ctx, userID, "", now)
			if err != nil {
				return err
			}
			detail = fmt.Sprintf("%s; ended %d sessions", detail, n)
		}
		if u, err = q.UserByID(ctx, userID); err != nil {
			return err
		}
		return q.AddAuditEvent(ctx, s.event(ctx, typ, u.ID, u.Email, detail))
	})
	if err != nil {
		return nil, wrap(err)
	}
	return u, nil
}

// RevokeUserSessions ends every session of a user as the admin in ctx and
// returns how many were active.
func (s *Service) RevokeUserSessions(ctx context.Context, userID string) (int, error) {
	p, err := s.RequireRole(ctx, RoleAdmin)
	if err != nil {
		return 0, err
	}
	return s.revokeSessions(ctx, userID, "by "+p.User.ID)
}

// RevokeSessionsByEmail is RevokeUserSessions on an operator's authority.
func (s *Service) RevokeSessionsByEmail(ctx context.Context, email string) (int, error) {
	u, err := s.userByEmail(ctx, email)
	if err != nil {
		return 0, err
	}
	return s.revokeSessions(ctx, u.ID, "by operator")
}

func (s *Service) revokeSessions(ctx context.Context, userID, detail string) (int, error) {
	now := s.now().UTC()
	var n int
	err := s.store.Tx(ctx, func(q Queries) error {
		u, err := q.UserByID(ctx, userID)
		if errors.Is(err, ErrNotFound) {
			return BadInput("userId", "no user with this id")
		}
		if err != nil {
			return err
		}
		if n, err = q.RevokeUserSessions(ctx, userID, "", now); err != nil {
			return err
		}
		return q.AddAuditEvent(ctx, s.event(ctx, EventSessionsRevoked, u.ID, u.Email, fmt.Sprintf("%s; ended %d sessions", detail, n)))
	})
	return n, wrap(err)
}

// AuditEvents pages through the audit log, newest first, optionally for
// one user. Admins only.
func (s *Service) AuditEvents(ctx context.Context, first int, after, userID string) (*AuditList, error) {
	if _, err := s.RequireRole(ctx, RoleAdmin); err != nil {
		return nil, err
	}
	return s.auditEvents(ctx, first, after, userID)
}

// AuditTail is AuditEvents on an operator's authority (the CLI).
func (s *Service) AuditTail(ctx context.Context, first int, after string) (*AuditList, error) {
	return s.auditEvents(ctx, first, after, "")
}

// OperatorListUsers is ListUsers on an operator's authority (the CLI).
func (s *Service) OperatorListUsers(ctx context.Context, first int, after, search string) (*UserList, error) {
	return s.listUsers(ctx, first, after, search)
}

func (s *Service) auditEvents(ctx context.Context, first int, after, userID string) (*AuditList, error) {
	limit, err := pageSize(first)
	if err != nil {
		return nil, err
	}
	page := AuditPage{UserID: userID, Limit: limit + 1}
	if after != "" {
		parts, err := decodeCursor("a", after, 1)
		if err != nil {
			return nil, err
		}
		if page.BeforeID, err = strconv.ParseInt(parts[0], 10, 64); err != nil || page.BeforeID <= 0 {
			return nil, BadInput("after", "invalid cursor")
		}
	}
	events, err := s.store.ListAuditEvents(ctx, page)
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

func (s *Service) userByEmail(ctx context.Context, email string) (*User, error) {
	email, err := NormalizeEmail("email", email)
	if err != nil {
		return nil, err
	}
	u, err := s.store.UserByEmail(ctx, email)
	if errors.Is(err, ErrNotFound) {
		return nil, BadInput("email", "no user with this email")
	}
	if err != nil {
		return nil, Internal(err)
	}
	return u, nil
}

func pageSize(first int) (int, error) {
	switch {
	case first == 0:
		return DefaultPageSize, nil
	case first < 0 || first > MaxPageSize:
		return 0, BadInput("first", "first must be between 1 and %d", MaxPageSize)
	}
	return first, nil
}

// UserCursor is the cursor that pages past u.
func UserCursor(u *User) string {
	return encodeCursor("u", u.CreatedAt.Format(time.RFC3339Nano), u.ID)
}

// AuditCursor is the cursor that pages past e.
func AuditCursor(e *AuditEvent) string {
	return encodeCursor("a", strconv.FormatInt(e.ID, 10))
}

// Cursors are opaque to clients: a kind letter and fields, base64url.
func encodeCursor(kind string, fields ...string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + strings.Join(fields, "|")))
}

func decodeCursor(kind, c string, n int) ([]string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return nil, BadInput("after", "invalid cursor")
	}
	rest, ok := strings.CutPrefix(string(b), kind+":")
	parts := strings.Split(rest, "|")
	if !ok || len(parts) != n {
		return nil, BadInput("after", "invalid cursor")
	}
	return parts, nil
}

func decodeUserCursor(c string) (time.Time, string, error) {
	parts, err := decodeCursor("u", c, 2)
	if err != nil {
		return time.Time{}, "", err
	}
	t, err := time.Parse(time.RFC3339Nano, parts[0])
	if err != nil || parts[1] == "" {
		return time.Time{}, "", BadInput("after", "invalid cursor")
	}
	return t, parts[1], nil
}
