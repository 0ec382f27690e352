package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gqlauth/gqlauth/graph/wstest"
)

// TestSocketAuthentication: a websocket is authenticated by its
// connection_init payload, by the Guard's rules; anything else closes it
// with 4401 before any subscription can start.
func TestSocketAuthentication(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		s := startServer(t, testEnv(dbURL, nil))
		tok, _ := s.register(t, "sock@example.com", "password-123")
		gone, _ := s.login(t, "sock@example.com", "password-123")
		ok(t, s.do(t, gone.access, `mutation { logout }`, nil))

		for name, payload := range map[string]any{
			"no payload":      nil,
			"no token":        map[string]any{},
			"not bearer":      map[string]any{"Authorization": "Basic " + tok.access},
			"garbage":         bearer("not-a-jwt"),
			"refresh token":   bearer(tok.refresh),
			"revoked session": bearer(gone.access),
		} {
			t.Run(name, func(t *testing.T) {
				c := s.dialSocket(t, nil)
				ctx, cancel := context.WithTimeout(context.Background(), socketWait)
				defer cancel()
				if _, err := c.Init(ctx, payload); err == nil {
					t.Fatal("connection_init accepted")
				}
				code, reason := c.CloseStatus()
				if code != 4401 || reason != "Unauthorized" {
					t.Fatalf("closed with %d %q, want 4401 Unauthorized", code, reason)
				}
			})
		}

		t.Run("a valid token", func(t *testing.T) {
			c := s.dialSocket(t, nil)
			ack := initSocket(t, c, map[string]any{"authorization": "Bearer " + tok.access})
			if !strings.Contains(string(ack), `"expiresAt"`) {
				t.Fatalf("ack payload %s lacks expiresAt", ack)
			}
			startEvents(t, c)
			wantOpen(t, c)
		})

		t.Run("only subscriptions over the socket, none over HTTP", func(t *testing.T) {
			c := s.dialSocket(t, nil)
			initSocket(t, c, bearer(tok.access))
			ctx, cancel := context.WithTimeout(context.Background(), socketWait)
			defer cancel()
			if err := c.Subscribe(ctx, "q", `{ me { id } }`); err != nil {
				t.Fatal(err)
			}
			m := next(t, c)
			if m.Type != "next" || !strings.Contains(string(m.Payload), "only subscriptions") || strings.Contains(string(m.Payload), "sock@example.com") {
				t.Fatalf("a query over the socket: %s %s", m.Type, m.Payload)
			}
			r := s.do(t, tok.access, sessionEventsQuery, nil)
			if len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Message, "websocket") {
				t.Fatalf("a subscription over HTTP: %+v %v", r.Errors, r.Data)
			}
		})
	})
}

// TestSocketCrossSiteHijacking: a page of another site can open a
// websocket to this server, and the browser sends this server's cookies
// with it. The handshake is refused unless its Origin is this server's or
// one CORS allows.
func TestSocketCrossSiteHijacking(t *testing.T) {
	s := startServer(t, cookieEnv(t, "cookies", map[string]string{"CORS_ALLOWED_ORIGINS": "https://app.example.com"}))
	b := newBrowser(t, s)
	ok(t, b.do(t, "", `mutation($i: RegisterInput!) { register(input: $i) { csrfToken } }`,
		map[string]any{"i": map[string]any{"email": "victim@example.com", "password": "password-123"}}))
	cookie := "gqlauth_access=" + b.cookie(t, "gqlauth_access")
	csrf := b.cookie(t, "gqlauth_csrf")

	for _, origin := range []string{"https://evil.example", "null", "https://app.example.com.evil.example", "http://app.example.com"} {
		t.Run("refused "+origin, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), socketWait)
			defer cancel()
			c, resp, err := wstest.Dial(ctx, s.URL+"/graphql", http.Header{"Origin": {origin}, "Cookie": {cookie}})
			if err == nil {
				c.Close()
				t.Fatal("handshake accepted")
			}
			if resp == nil || resp.StatusCode != http.StatusForbidden {
				t.Fatalf("want 403, got %v (%v)", resp, err)
			}
		})
	}
	for _, origin := range []string{"https://app.example.com", s.URL} {
		t.Run("allowed "+origin, func(t *testing.T) {
			c := s.dialSocket(t, http.Header{"Origin": {origin}, "Cookie": {cookie}})
			initSocket(t, c, map[string]any{"X-CSRF-Token": csrf})
			startEvents(t, c)
			wantOpen(t, c)
		})
	}
}

// TestSocketCookieMode: in cookie mode the handshake's access cookie
// authenticates the socket only with the CSRF cookie's value in the
// connection_init payload, which a page of another site cannot read.
func TestSocketCookieMode(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		s := startServer(t, testEnv(dbURL, map[string]string{"TOKEN_LOCATION": "cookies", "COOKIE_SECURE": "false"}))
		b := newBrowser(t, s)
		ok(t, b.do(t, "", `mutation($i: RegisterInput!) { register(input: $i) { csrfToken } }`,
			map[string]any{"i": map[string]any{"email": "crumb@example.com", "password": "password-123"}}))
		cookie := http.Header{"Cookie": {"gqlauth_access=" + b.cookie(t, "gqlauth_access")}}
		csrf := b.cookie(t, "gqlauth_csrf")

		for name, payload := range map[string]any{
			"without CSRF":       map[string]any{},
			"with a wrong CSRF":  map[string]any{"X-CSRF-Token": csrf + "x"},
			"with a bearer only": map[string]any{"Authorization": "Bearer " + b.cookie(t, "gqlauth_access")},
		} {
			t.Run(name, func(t *testing.T) {
				c := s.dialSocket(t, cookie)
				ctx, cancel := context.WithTimeout(context.Background(), socketWait)
				defer cancel()
				if _, err := c.Init(ctx, payload); err == nil {
					t.Fatal("connection_init accepted")
				}
				if code, _ := c.CloseStatus(); code != 4401 {
					t.Fatalf("closed with %d, want 4401", code)
				}
			})
		}
		t.Run("with CSRF", func(t *testing.T) {
			c := s.dialSocket(t, cookie)
			initSocket(t, c, map[string]any{"x-csrf-token": csrf})
			startEvents(t, c)
			ok(t, b.do(t, csrf, `mutation { logout }`, nil))
			wantEvent(t, c, "SESSION_REVOKED")
			wantClose(t, c, 4401, "Unauthorized")
		})
	})
}

// TestSocketRevocation: a logout of every session, made over HTTP, ends
// every socket of the user within a second, each hearing SESSION_REVOKED
// first; a socket of another user goes on.
func TestSocketRevocation(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		s := startServer(t, testEnv(dbURL, nil))
		first, _ := s.register(t, "rev@example.com", "password-123")
		second, _ := s.login(t, "rev@example.com", "password-123")
		other, _ := s.register(t, "bystander@example.com", "password-123")
		a, b := s.subscribeEvents(t, first.access), s.subscribeEvents(t, second.access)
		c := s.subscribeEvents(t, other.access)

		start := time.Now()
		ok(t, s.do(t, first.access, `mutation { logout(allSessions: true) }`, nil))
		for _, sock := range []*wstest.Client{a, b} {
			wantEvent(t, sock, "SESSION_REVOKED")
			if took := wantClose(t, sock, 4401, "Unauthorized").Sub(start); took > propagation {
				t.Errorf("closed %v after the logout, want within %v", took, propagation)
			}
		}
		wantOpen(t, c)
	})
}
