package auth_test

import (
	"testing"
	"time"

	"github.com/gqlauth/gqlauth/auth"
)

// nextEvent waits for a socket's next event.
func nextEvent(t *testing.T, ch <-chan auth.SessionEvent) auth.SessionEvent {
	t.Helper()
	select {
	case ev := <-ch:
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
	return auth.SessionEvent{}
}

// TestSocketRoleBelowNeed: a role change reaches every socket of the user
// as ROLE_CHANGED; it ends a socket only when a running subscription
// needs a role the user no longer has (FORBIDDEN: the transport's 4403).
// The schema's sessionEvents needs @auth alone, so through the server a
// demotion never ends it; the rule is here.
func TestSocketRoleBelowNeed(t *testing.T) {
	h := newHarness(t, options{})
	boss, err := h.operatorCreateUser("boss@example.com", goodPassword, auth.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	p, err := h.login(h.anon(), "boss@example.com", goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	needy, err := h.openSocket(p.Access)
	if err != nil {
		t.Fatal(err)
	}
	release := needy.Require(auth.RoleAdmin)
	defer release()
	plain, err := h.openSocket(p.Access)
	if err != nil {
		t.Fatal(err)
	}
	needyEvents, err := h.socketEvents(needy)
	if err != nil {
		t.Fatal(err)
	}
	plainEvents, err := h.socketEvents(plain)
	if err != nil {
		t.Fatal(err)
	}

	if _, err := h.operatorSetRole("boss@example.com", auth.RoleUser); err != nil {
		t.Fatal(err)
	}
	h.announce(auth.StateChange{UserID: boss.ID})

	if ev := nextEvent(t, needyEvents); ev.Type != auth.SessionRoleChanged || !ev.Final {
		t.Fatalf("the socket needing ADMIN heard %+v, want a final ROLE_CHANGED", ev)
	}
	select {
	case ev := <-needyEvents:
		t.Fatalf("heard %+v after the final event", ev)
	default:
	}
	if code := auth.ErrorCode(needy.Err()); code != auth.CodeForbidden {
		t.Fatalf("the socket ended with %v, want FORBIDDEN", needy.Err())
	}
	if ev := nextEvent(t, plainEvents); ev.Type != auth.SessionRoleChanged || ev.Final {
		t.Fatalf("the socket needing nothing heard %+v, want ROLE_CHANGED, not final", ev)
	}
	if plain.Err() != nil {
		t.Fatalf("the socket needing nothing ended: %v", plain.Err())
	}
	// A role raised again is no reason to end anything.
	if _, err := h.operatorSetRole("boss@example.com", auth.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	h.announce(auth.StateChange{UserID: boss.ID})
	if ev := nextEvent(t, plainEvents); ev.Type != auth.SessionRoleChanged || ev.Final {
		t.Fatalf("heard %+v, want ROLE_CHANGED, not final", ev)
	}
}

// TestSocketRequiresLiveToken: a socket is authenticated by the Guard's
// rules, and its operations use its current token, which stops counting
// once the socket ends.
func TestSocketRequiresLiveToken(t *testing.T) {
	h := newHarness(t, options{})
	p, err := h.register(h.anon(), "live@example.com", goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	gone, err := h.login(h.anon(), "live@example.com", goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.logout(h.asUser(gone.Access), false); err != nil {
		t.Fatal(err)
	}
	if _, err := h.openSocket(gone.Access); auth.ErrorReason(err) != auth.ReasonTokenRevoked {
		t.Fatalf("a logged-out token opened a socket: %v", err)
	}
	sk, err := h.openSocket(p.Access)
	if err != nil {
		t.Fatal(err)
	}
	ctx := auth.WithSocket(h.anon(), sk)
	if u, err := h.me(ctx); err != nil || u.Email != "live@example.com" {
		t.Fatalf("me over the socket: %v %v", u, err)
	}
	events, err := h.socketEvents(sk)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.logout(h.asUser(p.Access), true); err != nil {
		t.Fatal(err)
	}
	h.announce(auth.StateChange{UserID: p.User.ID})
	if ev := nextEvent(t, events); ev.Type != auth.SessionRevoked || !ev.Final {
		t.Fatalf("heard %+v, want a final SESSION_REVOKED", ev)
	}
	if _, err := h.me(ctx); auth.ErrorReason(err) != auth.ReasonTokenRevoked {
		t.Fatalf("me over an ended socket: %v", err)
	}
}

// TestSocketRecheckAll: changes made while the store's notifications were
// lost reach the sockets when they are heard again, through RecheckAll.
func TestSocketRecheckAll(t *testing.T) {
	h := newHarness(t, options{})
	p, err := h.register(h.anon(), "lost@example.com", goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	sk, err := h.openSocket(p.Access)
	if err != nil {
		t.Fatal(err)
	}
	events, err := h.socketEvents(sk)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.logout(h.asUser(p.Access), true); err != nil {
		t.Fatal(err)
	}
	// No announcement: the notification was lost.
	select {
	case ev := <-events:
		t.Fatalf("heard %+v without a change announced", ev)
	case <-time.After(100 * time.Millisecond):
	}
	h.recheckSockets()
	if ev := nextEvent(t, events); ev.Type != auth.SessionRevoked || !ev.Final {
		t.Fatalf("heard %+v, want a final SESSION_REVOKED", ev)
	}
}
