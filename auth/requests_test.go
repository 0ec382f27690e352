package auth_test

import (
	"testing"
	"time"

	"github.com/gqlauth/gqlauth/auth"
)

// What the database knows is checked on every request, not only when a
// token is issued: an account disabled behind the service's back (in SQL,
// with its sessions left alive) is refused at once, on every entry.
func TestDisabledInSQLRefusedPerRequest(t *testing.T) {
	h := newHarness(t, options{})
	p := h.newUser("alice@example.com")
	other := h.newUser("bob@example.com")
	h.sql(`UPDATE users SET disabled_at = ? WHERE id = ?`, h.clock.Now(), p.User.ID)
	if n := h.count(`SELECT COUNT(*) FROM sessions WHERE user_id = ? AND revoked_at IS NULL`, p.User.ID); n != 1 {
		t.Fatalf("the session must still be open in the database; %d are", n)
	}
	ctx := h.asUser(p.Access)
	_, err := h.me(ctx)
	check(t, "me", err, revoked)
	_, err = h.mySessions(ctx)
	check(t, "mySessions", err, revoked)
	check(t, "logout", h.logout(ctx, false), revoked)
	_, err = h.userEntity(ctx, p.User.ID)
	check(t, "own entity", err, revoked)
	_, err = h.refresh(h.anon(), p.Refresh)
	check(t, "refresh", err, revoked)
	_, err = h.login(h.anon(), "alice@example.com", goodPassword)
	check(t, "login", err, disabledAcct)
	// Others are unaffected.
	_, err = h.me(h.asUser(other.Access))
	check(t, "another user", err, ok)
}

// The same through the refresh's slow path: a consumed token retried
// inside the grace window is refused once the account is disabled.
func TestDisabledInSQLRefusedOnGraceRetry(t *testing.T) {
	h := newHarness(t, options{})
	p0 := h.newUser("alice@example.com")
	h.refreshed(p0)
	h.sql(`UPDATE users SET disabled_at = ? WHERE id = ?`, h.clock.Now(), p0.User.ID)
	_, err := h.refresh(h.anon(), p0.Refresh)
	check(t, "grace retry", err, revoked)
}

func TestLogout(t *testing.T) {
	tests := []struct {
		name       string
		all        bool
		otherAfter want // the caller's other session afterwards
	}{
		{"this session", false, ok},
		{"all sessions", true, revoked},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, options{})
			here := h.newUser("alice@example.com")
			other, err := h.login(h.anon(), "alice@example.com", goodPassword)
			check(t, "second login", err, ok)
			bob := h.newUser("bob@example.com")

			check(t, "logout", h.logout(h.asUser(here.Access), tc.all), ok)
			_, err = h.me(h.asUser(here.Access))
			check(t, "me after logout", err, revoked)
			_, err = h.refresh(h.anon(), here.Refresh)
			check(t, "refresh after logout", err, revoked)
			check(t, "second logout", h.logout(h.asUser(here.Access), tc.all), revoked)

			_, err = h.me(h.asUser(other.Access))
			check(t, "the other session", err, tc.otherAfter)
			_, err = h.refresh(h.anon(), other.Refresh)
			check(t, "the other session's refresh", err, tc.otherAfter)
			_, err = h.me(h.asUser(bob.Access))
			check(t, "another user", err, ok)
		})
	}
}

func TestLogoutNeedsAToken(t *testing.T) {
	h := newHarness(t, options{})
	check(t, "logout", h.logout(h.anon(), false), missing)
	_, err := h.me(h.anon())
	check(t, "me", err, missing)
}

func TestMySessionsAndRevokeSession(t *testing.T) {
	h := newHarness(t, options{})
	first := h.newUser("alice@example.com")
	h.clock.Advance(time.Minute)
	second, err := h.login(h.from("203.0.113.2"), "alice@example.com", goodPassword)
	check(t, "second login", err, ok)
	bob := h.newUser("bob@example.com")

	ss, err := h.mySessions(h.asUser(first.Access))
	check(t, "mySessions", err, ok)
	if len(ss) != 2 || ss[0].ID != second.SessionID || ss[1].ID != first.SessionID {
		t.Fatalf("sessions %+v, want the second, then the first", ss)
	}
	if ss[0].Current || !ss[1].Current || ss[0].IP != "203.0.113.2" {
		t.Fatalf("current/IP wrong: %+v", ss)
	}

	ctx := h.asUser(first.Access)
	tests := []struct {
		name    string
		id      string
		want    want
		current bool
	}{
		{"another user's session", bob.SessionID, badInput("id"), false},
		{"unknown session", auth.NewID(), badInput("id"), false},
		{"empty id", "", badInput("id"), false},
		{"overlong id", string(make([]byte, 65)), badInput("id"), false},
		{"my other session", second.SessionID, ok, false},
		{"my other session again", second.SessionID, badInput("id"), false},
		{"my current session", first.SessionID, ok, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			current, err := h.revokeSession(ctx, tc.id)
			check(t, "revokeSession", err, tc.want)
			if current != tc.current {
				t.Fatalf("current = %v, want %v", current, tc.current)
			}
		})
	}
	_, err = h.me(h.asUser(second.Access))
	check(t, "revoked session", err, revoked)
	_, err = h.me(h.asUser(bob.Access))
	check(t, "bob's session", err, ok)
}

// Roles are read from the database on every request: a promotion or
// demotion applies to the very next request with an unchanged token.
func TestRoleChangeAppliesOnNextRequest(t *testing.T) {
	h := newHarness(t, options{})
	admin := h.newAdmin("root@example.com")
	p := h.newUser("alice@example.com")
	ctx := h.asUser(p.Access)
	_, err := h.stats(ctx)
	check(t, "stats as USER", err, forbidden)

	_, err = h.setRole(h.asUser(admin.Access), p.User.ID, auth.RoleAdmin)
	check(t, "promote", err, ok)
	_, err = h.stats(ctx)
	check(t, "stats after promotion, same token", err, ok)
	u, err := h.me(ctx)
	check(t, "me", err, ok)
	if u.Role != auth.RoleAdmin {
		t.Fatalf("role %s after promotion", u.Role)
	}

	_, err = h.operatorSetRole("alice@example.com", auth.RoleUser)
	check(t, "demote", err, ok)
	_, err = h.stats(ctx)
	check(t, "stats after demotion, same token", err, forbidden)
}
