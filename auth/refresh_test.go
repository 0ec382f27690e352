package auth_test

import (
	"testing"
	"time"

	"github.com/gqlauth/gqlauth/auth"
)

func TestRefreshRotates(t *testing.T) {
	h := newHarness(t, options{})
	p0 := h.newUser("alice@example.com")
	h.clock.Advance(time.Minute)
	p1 := h.refreshed(p0)
	if p1.Refresh == p0.Refresh || p1.Access == p0.Access {
		t.Fatal("refresh must issue a new pair")
	}
	if p1.SessionID != p0.SessionID {
		t.Fatalf("refresh moved to session %s from %s", p1.SessionID, p0.SessionID)
	}
	if p1.Fresh {
		t.Fatal("a refreshed access token must not be fresh")
	}
	// The chain goes on from the newest token.
	h.clock.Advance(time.Minute)
	p2 := h.refreshed(p1)
	_, err := h.me(h.asUser(p2.Access))
	check(t, "me with the newest access token", err, ok)
	// An access token is not a refresh token, nor the reverse.
	_, err = h.refresh(h.anon(), p2.Access)
	check(t, "refresh with an access token", err, invalid)
	_, err = h.me(h.asUser(p2.Refresh))
	check(t, "me with a refresh token", err, invalid)
	_, err = h.refresh(h.anon(), "not-a-token")
	check(t, "refresh with garbage", err, invalid)
	_, err = h.refresh(h.anon(), "")
	check(t, "refresh with nothing", err, missing)
}

// The grace window: a client that lost a refresh response may present the
// consumed token again for DefaultReuseGrace, and no longer.
func TestRefreshReuseGrace(t *testing.T) {
	tests := []struct {
		name  string
		grace time.Duration // options.ReuseGrace
		after time.Duration // time between the rotation and the replay
		want  want
	}{
		{"immediate retry", 0, 0, ok},
		{"retry at the window's end", 0, auth.DefaultReuseGrace, ok},
		{"replay just after the window", 0, auth.DefaultReuseGrace + time.Second, reused},
		{"replay minutes later", 0, 10 * time.Minute, reused},
		{"custom window, inside", time.Minute, 50 * time.Second, ok},
		{"custom window, outside", time.Minute, 61 * time.Second, reused},
		{"grace disabled, immediate", -1, 0, reused},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, options{ReuseGrace: tc.grace})
			p0 := h.newUser("alice@example.com")
			p1 := h.refreshed(p0)
			h.clock.Advance(tc.after)
			p2, err := h.refresh(h.anon(), p0.Refresh)
			check(t, "replay of the consumed token", err, tc.want)
			if tc.want == ok {
				// A retry answers a new pair of the same session, and only
				// one chain survives: the retry's.
				if p2.SessionID != p0.SessionID || p2.Refresh == p1.Refresh {
					t.Fatalf("grace retry gave %+v", p2)
				}
				_, err = h.me(h.asUser(p2.Access))
				check(t, "me after the retry", err, ok)
				h.refreshed(p2)
				return
			}
			// Reuse ends the session: every token of it stops working,
			// the newest refresh token included.
			_, err = h.refresh(h.anon(), p1.Refresh)
			check(t, "refresh with the newest token after reuse", err, revoked)
			_, err = h.me(h.asUser(p1.Access))
			check(t, "access token of the ended session", err, revoked)
			ev, err := h.operatorAuditTail(1, "")
			check(t, "audit tail", err, ok)
			if len(ev.Items) != 1 || ev.Items[0].Type != auth.EventRefreshReuse {
				t.Fatalf("last audit event %+v, want %s", ev.Items, auth.EventRefreshReuse)
			}
		})
	}
}

// A retry inside the window cannot stretch it: the window is anchored at
// the first rotation, not at the retry.
func TestRefreshGraceNotExtendedByRetries(t *testing.T) {
	h := newHarness(t, options{})
	p0 := h.newUser("alice@example.com")
	h.refreshed(p0)
	h.clock.Advance(auth.DefaultReuseGrace - time.Second)
	_, err := h.refresh(h.anon(), p0.Refresh)
	check(t, "retry inside the window", err, ok)
	h.clock.Advance(2 * time.Second)
	_, err = h.refresh(h.anon(), p0.Refresh)
	check(t, "second retry, past the first rotation's window", err, reused)
}

func TestTokenExpiry(t *testing.T) {
	tests := []struct {
		name    string
		advance time.Duration
		access  want // the access token at the middleware
		refresh want // the refresh token
	}{
		{"fresh", 0, ok, ok},
		{"access inside leeway", accessTTL + leeway - time.Second, ok, ok},
		{"access expired", accessTTL + leeway + time.Second, expired, ok},
		{"refresh inside leeway", refreshTTL + leeway - time.Second, expired, revoked},
		{"refresh expired", refreshTTL + leeway + time.Second, expired, expired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, options{})
			p := h.newUser("alice@example.com")
			h.clock.Advance(tc.advance)
			check(t, "parse access", h.parseAccess(p.Access), tc.access)
			_, err := h.me(h.asUser(p.Access))
			check(t, "me", err, tc.access)
			_, err = h.refresh(h.anon(), p.Refresh)
			check(t, "refresh", err, tc.refresh)
		})
	}
}

// An expired access token cached by the verifier is still refused: the
// cache remembers signatures, not lifetimes.
func TestAccessExpiryAfterCachedVerification(t *testing.T) {
	h := newHarness(t, options{})
	p := h.newUser("alice@example.com")
	check(t, "first parse", h.parseAccess(p.Access), ok)
	check(t, "cached parse", h.parseAccess(p.Access), ok)
	h.clock.Advance(accessTTL + leeway + time.Second)
	check(t, "parse after expiry", h.parseAccess(p.Access), expired)
}

// A refresh keeps the session alive: its idle lifetime restarts.
func TestRefreshExtendsSession(t *testing.T) {
	h := newHarness(t, options{})
	p := h.newUser("alice@example.com")
	for range 3 {
		h.clock.Advance(refreshTTL - time.Hour)
		p = h.refreshed(p)
	}
	_, err := h.me(h.asUser(p.Access))
	check(t, "me after three near-lifetimes", err, ok)
}
