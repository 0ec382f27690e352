package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gqlauth/gqlauth/db/dbtest"
)

// TestSocketTwoReplicas: a change made on one replica ends the sockets
// held by another within a second, through PostgreSQL's notifications
// (the resync, which would repair a missed one, is an hour away here).
func TestSocketTwoReplicas(t *testing.T) {
	dbURL := dbtest.PostgresURL(t)
	env := testEnv(dbURL, map[string]string{
		"JWT_SECRET":            "a-shared-secret-for-both-replicas-0123456789",
		"CACHE_RESYNC_INTERVAL": "1h",
	})
	a := startProcess(t, env)
	b := startProcess(t, env)
	// Changes reach a replica once its listener is connected.
	for _, s := range []*proc{a, b} {
		waitLive(t, s.testServer)
	}
	a.register(t, "root@example.com", "password-123")
	a.cli(t, "", "user", "set-role", "--email", "root@example.com", "--role", "ADMIN")
	adm, _ := a.login(t, "root@example.com", "password-123")
	closedWithin := func(t *testing.T, start time.Time, at time.Time) {
		t.Helper()
		if took := at.Sub(start); took > propagation {
			t.Errorf("closed %v after the change on the other replica, want within %v", took, propagation)
		} else {
			t.Logf("closed %v after the change on the other replica", took.Round(time.Millisecond))
		}
	}

	t.Run("logout of every session on A closes the sockets on B", func(t *testing.T) {
		first, _ := a.register(t, "ann@example.com", "password-123")
		second, _ := a.login(t, "ann@example.com", "password-123")
		s1, s2 := b.subscribeEvents(t, first.access), b.subscribeEvents(t, second.access)
		start := time.Now()
		ok(t, a.do(t, first.access, `mutation { logout(allSessions: true) }`, nil))
		wantEvent(t, s1, "SESSION_REVOKED")
		closedWithin(t, start, wantClose(t, s1, 4401, "Unauthorized"))
		wantEvent(t, s2, "SESSION_REVOKED")
		closedWithin(t, start, wantClose(t, s2, 4401, "Unauthorized"))
	})

	t.Run("disabling on A closes the socket on B", func(t *testing.T) {
		tok, u := a.register(t, "ben@example.com", "password-123")
		c := b.subscribeEvents(t, tok.access)
		start := time.Now()
		ok(t, a.do(t, adm.access, `mutation($id: ID!) { setUserDisabled(userId: $id, disabled: true) { disabled } }`,
			map[string]any{"id": u["user"].(map[string]any)["id"]}))
		wantEvent(t, c, "ACCOUNT_DISABLED")
		closedWithin(t, start, wantClose(t, c, 4401, "Unauthorized"))
	})

	t.Run("a role change on A reaches the socket on B", func(t *testing.T) {
		tok, u := a.register(t, "cat@example.com", "password-123")
		c := b.subscribeEvents(t, tok.access)
		ok(t, a.do(t, adm.access, `mutation($id: ID!) { setUserRole(userId: $id, role: ADMIN) { role } }`,
			map[string]any{"id": u["user"].(map[string]any)["id"]}))
		wantEvent(t, c, "ROLE_CHANGED")
		wantOpen(t, c)
	})
}

// waitLive waits until s's cache hears changes (gqlauth_cache_live 1).
func waitLive(t *testing.T, s *testServer) {
	t.Helper()
	deadline := time.Now().Add(socketWait)
	for {
		resp, err := http.Get(s.URL + "/metrics")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(b), "\ngqlauth_cache_live 1\n") {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the change listener did not connect within %v", s.URL, socketWait)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
