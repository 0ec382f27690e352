package auth_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gqlauth/gqlauth/auth"
)

const window = 15 * time.Minute

// attempt is one throttled call, from ip, as email.
type attempt func(h *harness, ip, email string) error

var (
	wrongLogin attempt = func(h *harness, ip, email string) error {
		_, err := h.login(h.from(ip), email, "wrong password")
		return err
	}
	goodLogin attempt = func(h *harness, ip, email string) error {
		_, err := h.login(h.from(ip), email, goodPassword)
		return err
	}
	registration attempt = func(h *harness, ip, email string) error {
		_, err := h.register(h.from(ip), email, goodPassword)
		return err
	}
)

// Each limit lets `limit` attempts through in a window, refuses the next
// with RATE_LIMITED and the seconds left in the window, and lets attempts
// through again once the window has passed.
func TestThrottleLimits(t *testing.T) {
	tests := []struct {
		name    string
		limits  auth.RateLimits
		try     attempt
		answer  want // of the attempts under the limit
		emailOf func(i int) string
		otherIP bool // does another IP get through while this one is blocked?
	}{
		{"login per account", auth.RateLimits{PerAccount: 3, PerIP: 100, Window: window}, wrongLogin, badCreds,
			func(int) string { return "alice@example.com" }, false},
		{"login per IP", auth.RateLimits{PerAccount: 100, PerIP: 3, Window: window}, wrongLogin, badCreds,
			func(i int) string { return fmt.Sprintf("u%d@example.com", i) }, true},
		{"login per IP, good passwords too", auth.RateLimits{PerAccount: 100, PerIP: 3, Window: window}, goodLogin, ok,
			func(int) string { return "alice@example.com" }, true},
		{"register per IP", auth.RateLimits{PerAccount: 100, PerIP: 3, Window: window}, registration, ok,
			func(i int) string { return fmt.Sprintf("new%d@example.com", i) }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, options{RateLimits: tc.limits})
			if _, err := h.operatorCreateUser("alice@example.com", goodPassword, auth.RoleUser); err != nil {
				t.Fatal(err)
			}
			limit := min(tc.limits.PerAccount, tc.limits.PerIP)
			i := 0
			next := func() string { i++; return tc.emailOf(i) }
			for range limit {
				check(t, "under the limit", tc.try(h, clientIP, next()), tc.answer)
			}
			h.clock.Advance(time.Minute)
			err := tc.try(h, clientIP, next())
			check(t, "over the limit", err, rateLimited)
			if got, want := retryAfter(t, err), int((window - time.Minute).Seconds()); got != want {
				t.Fatalf("retryAfter = %d, want %d", got, want)
			}
			if tc.otherIP {
				check(t, "another IP", tc.try(h, "203.0.113.9", next()), tc.answer)
			} else {
				check(t, "the same account from another IP", tc.try(h, "203.0.113.9", next()), rateLimited)
			}
			h.clock.Advance(window - time.Minute - time.Second)
			check(t, "a second before the window ends", tc.try(h, clientIP, next()), rateLimited)
			h.clock.Advance(time.Second)
			check(t, "after the window", tc.try(h, clientIP, next()), tc.answer)
		})
	}
}

// A right password forgets the account's failures, so a user who mistypes
// now and then is never locked out by their own history.
func TestThrottleSuccessResetsAccount(t *testing.T) {
	h := newHarness(t, options{RateLimits: auth.RateLimits{PerAccount: 3, PerIP: 100, Window: window}})
	h.newUser("alice@example.com")
	for round := range 3 {
		for range 2 {
			check(t, fmt.Sprintf("round %d wrong", round), wrongLogin(h, clientIP, "alice@example.com"), badCreds)
		}
		check(t, fmt.Sprintf("round %d right", round), goodLogin(h, clientIP, "alice@example.com"), ok)
	}
	// Without the reset the account would be nine attempts in by now.
	for range 3 {
		check(t, "after the reset", wrongLogin(h, clientIP, "alice@example.com"), badCreds)
	}
	check(t, "over the limit again", wrongLogin(h, clientIP, "alice@example.com"), rateLimited)
}

// Failed refreshes are counted per IP; once over the limit, that IP is
// refused even with a valid refresh token (so it cannot go on guessing),
// while other IPs and, after the window, the same IP are served.
func TestThrottleRefreshFailuresPerIP(t *testing.T) {
	h := newHarness(t, options{RateLimits: auth.RateLimits{PerAccount: 100, PerIP: 3, Window: window}})
	p := h.newUser("alice@example.com")
	const attacker = "203.0.113.66"
	// Successful refreshes do not count.
	for range 5 {
		p = h.refreshedFrom(clientIP, p)
	}
	for i := range 3 {
		_, err := h.refresh(h.from(attacker), fmt.Sprintf("forged-%d", i))
		check(t, "failed refresh", err, invalid)
	}
	_, err := h.refresh(h.from(attacker), p.Refresh)
	check(t, "valid token from the throttled IP", err, rateLimited)
	p = h.refreshedFrom(clientIP, p)
	h.clock.Advance(window)
	h.refreshedFrom(attacker, p)
}

func TestThrottleChangePassword(t *testing.T) {
	h := newHarness(t, options{RateLimits: auth.RateLimits{PerAccount: 2, PerIP: 100, Window: window}})
	p := h.newUser("alice@example.com")
	ctx := h.asUser(p.Access)
	for range 2 {
		check(t, "wrong current", h.changePassword(ctx, "not my password", "a new passphrase"),
			want{Code: auth.CodeInvalidCredentials, Field: "currentPassword"})
	}
	check(t, "over the limit", h.changePassword(ctx, goodPassword, "a new passphrase"), rateLimited)
	h.clock.Advance(window)
	check(t, "after the window", h.changePassword(ctx, goodPassword, "a new passphrase"), ok)
}

// The zero RateLimits disable throttling altogether.
func TestThrottleOff(t *testing.T) {
	h := newHarness(t, options{})
	h.newUser("alice@example.com")
	for range 20 {
		check(t, "wrong password", wrongLogin(h, clientIP, "alice@example.com"), badCreds)
	}
}

// A refusal is audited, with the client's IP and the counters that
// refused it, so that an operator can see a guessing run in the log.
func TestThrottleRefusalIsAudited(t *testing.T) {
	h := newHarness(t, options{RateLimits: auth.RateLimits{PerAccount: 1, PerIP: 100, Window: window}})
	admin := h.asUser(h.newAdmin("root@example.com").Access)
	h.newUser("alice@example.com")
	check(t, "under the limit", wrongLogin(h, "203.0.113.66", "alice@example.com"), badCreds)
	check(t, "over the limit", wrongLogin(h, "203.0.113.66", "alice@example.com"), rateLimited)
	l, err := h.auditEvents(admin, 50, "", "")
	check(t, "auditEvents", err, ok)
	for _, e := range l.Items {
		if e.Type == auth.EventRateLimited {
			if e.IP != "203.0.113.66" || !strings.Contains(e.Detail, "login:account:alice@example.com") {
				t.Fatalf("rate_limited event %+v lacks the IP or the counter", e)
			}
			return
		}
	}
	t.Fatalf("no rate_limited event among %+v", l.Items)
}
