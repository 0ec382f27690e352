package auth_test

import (
	"strings"
	"testing"

	"github.com/gqlauth/gqlauth/auth"
)

func TestRegisterValidation(t *testing.T) {
	h := newHarness(t, options{})
	h.newUser("taken@example.com")
	tests := []struct {
		name, email, password string
		want                  want
	}{
		{"ok", "new@example.com", goodPassword, ok},
		{"normalized", "  Mixed@Example.COM ", goodPassword, ok},
		{"empty email", "", goodPassword, badInput("input.email")},
		{"not an address", "nobody", goodPassword, badInput("input.email")},
		{"display name", "Bob <bob@example.com>", goodPassword, badInput("input.email")},
		{"no dot in domain", "bob@localhost", goodPassword, badInput("input.email")},
		{"too long email", strings.Repeat("a", 250) + "@example.com", goodPassword, badInput("input.email")},
		{"short password", "short@example.com", "1234567", badInput("input.password")},
		{"long password", "long@example.com", strings.Repeat("p", auth.MaxPasswordBytes+1), badInput("input.password")},
		{"invalid utf-8", "utf@example.com", "abcdefgh\xff", badInput("input.password")},
		{"email taken", "taken@example.com", goodPassword, want{Code: auth.CodeEmailTaken}},
		{"email taken, other case", "TAKEN@example.com", goodPassword, want{Code: auth.CodeEmailTaken}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := h.register(h.anon(), tc.email, tc.password)
			check(t, "register", err, tc.want)
			if tc.want != ok {
				return
			}
			if p.User.Email != strings.ToLower(strings.TrimSpace(tc.email)) || p.User.Role != auth.RoleUser {
				t.Fatalf("registered %+v", p.User)
			}
			if !p.Fresh {
				t.Fatal("a registration's access token must be fresh")
			}
			u, err := h.me(h.asUser(p.Access))
			check(t, "me", err, ok)
			if u.ID != p.User.ID {
				t.Fatalf("me = %s, want %s", u.ID, p.User.ID)
			}
		})
	}
}

func TestLogin(t *testing.T) {
	h := newHarness(t, options{})
	h.newUser("alice@example.com")
	h.newUser("off@example.com")
	if _, err := h.operatorSetDisabled("off@example.com", true); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, email, password string
		want                  want
	}{
		{"ok", "alice@example.com", goodPassword, ok},
		{"email case and spaces", " ALICE@example.com", goodPassword, ok},
		{"wrong password", "alice@example.com", "wrong password", badCreds},
		// The same answer as a wrong password: logins do not reveal which
		// accounts exist.
		{"unknown email", "nobody@example.com", goodPassword, badCreds},
		{"empty password", "alice@example.com", "", badInput("input.password")},
		{"long password", "alice@example.com", strings.Repeat("p", auth.MaxPasswordBytes+1), badInput("input.password")},
		{"bad email", "alice", goodPassword, badInput("input.email")},
		{"disabled, right password", "off@example.com", goodPassword, disabledAcct},
		// Whoever lacks the password learns nothing, not even that the
		// account is disabled.
		{"disabled, wrong password", "off@example.com", "wrong password", badCreds},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := h.login(h.anon(), tc.email, tc.password)
			check(t, "login", err, tc.want)
			if err != nil {
				return
			}
			if !p.Fresh {
				t.Fatal("a login's access token must be fresh")
			}
			_, err = h.me(h.asUser(p.Access))
			check(t, "me", err, ok)
		})
	}
}

// An unknown email and a wrong password must be indistinguishable to the
// client: same code, same message.
func TestLoginUnknownAndWrongPasswordAlike(t *testing.T) {
	h := newHarness(t, options{})
	h.newUser("alice@example.com")
	_, wrong := h.login(h.anon(), "alice@example.com", "wrong password")
	_, unknown := h.login(h.anon(), "bob@example.com", "wrong password")
	check(t, "wrong password", wrong, badCreds)
	check(t, "unknown email", unknown, badCreds)
	if wrong.Error() != unknown.Error() {
		t.Fatalf("answers differ: %q vs %q", wrong, unknown)
	}
}

func TestChangePassword(t *testing.T) {
	const newPassword = "a brand new passphrase"
	tests := []struct {
		name          string
		refreshFirst  bool // use a refreshed, non-fresh token
		current, next string
		want          want
	}{
		{"ok", false, goodPassword, newPassword, ok},
		{"token not fresh", true, goodPassword, newPassword, notFresh},
		{"wrong current", false, "not my password", newPassword, want{Code: auth.CodeInvalidCredentials, Field: "currentPassword"}},
		{"overlong current", false, strings.Repeat("p", auth.MaxPasswordBytes+1), newPassword, badCreds},
		{"weak next", false, goodPassword, "short", badInput("newPassword")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, options{})
			here := h.newUser("alice@example.com")
			other, err := h.login(h.anon(), "alice@example.com", goodPassword)
			check(t, "second login", err, ok)
			if tc.refreshFirst {
				here = h.refreshed(here)
			}
			err = h.changePassword(h.asUser(here.Access), tc.current, tc.next)
			check(t, "changePassword", err, tc.want)
			if tc.want != ok {
				// Nothing changed: the old password still works.
				_, err := h.login(h.anon(), "alice@example.com", goodPassword)
				check(t, "login with the old password", err, ok)
				return
			}
			_, err = h.me(h.asUser(here.Access))
			check(t, "this session", err, ok)
			_, err = h.me(h.asUser(other.Access))
			check(t, "the other session", err, revoked)
			_, err = h.refresh(h.anon(), other.Refresh)
			check(t, "the other session's refresh", err, revoked)
			_, err = h.login(h.anon(), "alice@example.com", goodPassword)
			check(t, "login with the old password", err, badCreds)
			_, err = h.login(h.anon(), "alice@example.com", newPassword)
			check(t, "login with the new password", err, ok)
		})
	}
}

func TestChangePasswordNeedsAToken(t *testing.T) {
	h := newHarness(t, options{})
	err := h.changePassword(h.anon(), goodPassword, "a brand new passphrase")
	check(t, "changePassword", err, missing)
}
