package main

import (
	"strings"
	"testing"
)

// TestMySessionsAndRevokeSession: a user sees their devices, ends one of
// them (its tokens stop at once), and cannot touch another user's.
func TestMySessionsAndRevokeSession(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		s := startServer(t, testEnv(dbURL, nil))
		laptop, _ := s.register(t, "sam@example.com", "password-123")
		phone, _ := s.login(t, "sam@example.com", "password-123")
		other, _ := s.register(t, "tess@example.com", "password-123")

		q := `{ mySessions { id createdAt lastUsedAt userAgent ip current } }`
		list := ok(t, s.do(t, phone.access, q, nil))["mySessions"].([]any)
		if len(list) != 2 {
			t.Fatalf("want 2 sessions, got %v", list)
		}
		var current, laptopID string
		for _, e := range list {
			m := e.(map[string]any)
			if m["ip"] != "127.0.0.1" || m["userAgent"] == "" {
				t.Errorf("session lacks client details: %v", m)
			}
			if m["current"].(bool) {
				current = m["id"].(string)
			} else {
				laptopID = m["id"].(string)
			}
		}
		if current == "" || laptopID == "" {
			t.Fatalf("want exactly one current session: %v", list)
		}
		otherID := ok(t, s.do(t, other.access, q, nil))["mySessions"].([]any)[0].(map[string]any)["id"].(string)

		revoke := `mutation($id: ID!) { revokeSession(id: $id) }`
		e := wantErr(t, s.do(t, phone.access, revoke, map[string]any{"id": otherID}), "BAD_USER_INPUT", "")
		if e.Extensions["field"] != "id" {
			t.Errorf("want field id, got %v", e.Extensions)
		}
		ok(t, s.me(t, other.access)) // untouched

		if !ok(t, s.do(t, phone.access, revoke, map[string]any{"id": laptopID}))["revokeSession"].(bool) {
			t.Fatal("revokeSession returned false")
		}
		wantErr(t, s.me(t, laptop.access), "UNAUTHENTICATED", "TOKEN_REVOKED")
		wantErr(t, s.refresh(t, laptop.refresh), "UNAUTHENTICATED", "TOKEN_REVOKED")
		wantErr(t, s.do(t, phone.access, revoke, map[string]any{"id": laptopID}), "BAD_USER_INPUT", "") // already ended
		if n := len(ok(t, s.do(t, phone.access, q, nil))["mySessions"].([]any)); n != 1 {
			t.Fatalf("want 1 session left, got %d", n)
		}

		// Ending the current session is a logout of this device.
		ok(t, s.do(t, phone.access, revoke, map[string]any{"id": current}))
		wantErr(t, s.me(t, phone.access), "UNAUTHENTICATED", "TOKEN_REVOKED")
		wantErr(t, s.do(t, "", q, nil), "UNAUTHENTICATED", "TOKEN_MISSING")

		events := s.cli(t, "", "audit", "tail", "-n", "5")
		if !strings.Contains(events, "session_revoked") {
			t.Errorf("no session_revoked audit event:\n%s", events)
		}
	})
}
