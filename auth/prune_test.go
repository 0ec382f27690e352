package auth_test

import (
	"testing"
	"time"

	"github.com/gqlauth/gqlauth/auth"
)

const day = 24 * time.Hour

// Audit events older than the retention are pruned, newer ones kept; a
// zero retention keeps every event.
func TestPruneAuditRetention(t *testing.T) {
	tests := []struct {
		name      string
		retention time.Duration
		wantOld   int // events of the first day left after pruning on day 31
	}{
		{"30 days", 30 * day, 0},
		{"forever", 0, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, options{AuditRetention: tc.retention})
			first := h.clock.Now()
			h.newUser("alice@example.com") // register
			_, err := h.login(h.anon(), "alice@example.com", "wrong password")
			check(t, "failed login", err, badCreds)
			h.clock.Advance(20 * day)
			recent := h.clock.Now()
			h.newUser("bob@example.com")
			h.clock.Advance(11 * day)

			if _, err := h.prune(); err != nil {
				t.Fatal(err)
			}
			if n := h.count(`SELECT COUNT(*) FROM audit_events WHERE at < ?`, first.Add(time.Hour)); n != tc.wantOld {
				t.Fatalf("%d events of day 1 left, want %d", n, tc.wantOld)
			}
			if n := h.count(`SELECT COUNT(*) FROM audit_events WHERE at >= ?`, recent); n != 1 {
				t.Fatalf("%d events of day 21 left, want 1", n)
			}
		})
	}
}

// The retention is measured from the pruning time: an event exactly as old
// as the retention stays, one a second older goes.
func TestPruneAuditRetentionEdge(t *testing.T) {
	h := newHarness(t, options{AuditRetention: 30 * day})
	h.newUser("alice@example.com")
	h.clock.Advance(30 * day)
	if _, err := h.prune(); err != nil {
		t.Fatal(err)
	}
	if n := h.count(`SELECT COUNT(*) FROM audit_events`); n != 1 {
		t.Fatalf("%d events after exactly the retention, want 1", n)
	}
	h.clock.Advance(time.Second)
	if _, err := h.prune(); err != nil {
		t.Fatal(err)
	}
	if n := h.count(`SELECT COUNT(*) FROM audit_events`); n != 0 {
		t.Fatalf("%d events past the retention, want 0", n)
	}
}

// Revocations are kept while the token they block could still verify;
// ended sessions for a day after they ended; expired sessions and throttle
// windows not at all.
func TestPruneRevocationsSessionsThrottles(t *testing.T) {
	const shortWindow = 5 * time.Minute
	h := newHarness(t, options{RateLimits: auth.RateLimits{PerAccount: 10, PerIP: 10, Window: shortWindow}})
	out := h.newUser("alice@example.com")
	check(t, "logout", h.logout(h.asUser(out.Access), false), ok)
	live := h.newUser("bob@example.com")
	counts := func(step string, revocations, sessions, throttles int) {
		t.Helper()
		if _, err := h.prune(); err != nil {
			t.Fatal(err)
		}
		if got := h.count(`SELECT COUNT(*) FROM revoked_tokens`); got != revocations {
			t.Fatalf("%s: %d revocations, want %d", step, got, revocations)
		}
		if got := h.count(`SELECT COUNT(*) FROM sessions`); got != sessions {
			t.Fatalf("%s: %d sessions, want %d", step, got, sessions)
		}
		if got := h.count(`SELECT COUNT(*) FROM throttles`); got != throttles {
			t.Fatalf("%s: %d throttles, want %d", step, got, throttles)
		}
	}
	counts("at once", 1, 2, 3) // register throttles: the IP and two accounts
	h.clock.Advance(shortWindow)
	counts("throttle windows over", 1, 2, 0)
	h.clock.Advance(accessTTL - shortWindow - time.Second)
	counts("the logged-out access token about to expire", 1, 2, 0)
	h.clock.Advance(time.Second)
	counts("the logged-out access token expired", 0, 2, 0)
	// Inside the verifier's leeway the token still parses, and its
	// revocation is gone, but its ended session still refuses it.
	_, err := h.me(h.asUser(out.Access))
	check(t, "logged-out token within leeway", err, revoked)

	live = h.refreshed(live) // keeps bob's session alive for another refreshTTL
	h.clock.Advance(day - accessTTL - time.Second)
	counts("the ended session almost a day old", 0, 2, 0)
	h.clock.Advance(time.Second)
	counts("the ended session a day old", 0, 1, 0)

	h.clock.Advance(refreshTTL)
	counts("bob's idle session expired", 0, 0, 0)
	_, err = h.refresh(h.anon(), live.Refresh)
	check(t, "refresh of the pruned session", err, expired)
}
