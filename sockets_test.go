package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/db/dbtest"
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
			if m.Type != "next" || !strings.Contains(string(m.Payload), "only subscriptions") ||
				!strings.Contains(string(m.Payload), `"code":"BAD_REQUEST"`) || strings.Contains(string(m.Payload), "sock@example.com") {
				t.Fatalf("a query over the socket: %s %s", m.Type, m.Payload)
			}
			r := s.do(t, tok.access, sessionEventsQuery, nil)
			if e := wantErr(t, r, "BAD_REQUEST", ""); !strings.Contains(e.Message, "websocket") {
				t.Fatalf("a subscription over HTTP: %+v %v", r.Errors, r.Data)
			}
			// The socket counts in the metrics.
			resp, err := http.Get(s.URL + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !regexp.MustCompile(`\ngqlauth_websockets_open [1-9]`).Match(b) {
				t.Errorf("no open socket in the metrics")
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

// TestSocketAccountChanges: what an administrator or the user does
// elsewhere reaches the socket at once, as the event that says why, and
// ends it when its token would be refused on the next request.
func TestSocketAccountChanges(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		s, adm := adminServer(t, dbURL, nil)
		const setRole = `mutation($id: ID!, $r: Role!) { setUserRole(userId: $id, role: $r) { role } }`
		newUser := func(email string) (tokens, string) {
			tok, u := s.register(t, email, "password-123")
			return tok, u["user"].(map[string]any)["id"].(string)
		}

		t.Run("disabled", func(t *testing.T) {
			tok, id := newUser("dis@example.com")
			c := s.subscribeEvents(t, tok.access)
			ok(t, s.do(t, adm.access, `mutation($id: ID!) { setUserDisabled(userId: $id, disabled: true) { disabled } }`, map[string]any{"id": id}))
			wantEvent(t, c, "ACCOUNT_DISABLED")
			wantClose(t, c, 4401, "Unauthorized")
		})

		t.Run("role changed", func(t *testing.T) {
			tok, id := newUser("role@example.com")
			c := s.subscribeEvents(t, tok.access)
			ok(t, s.do(t, adm.access, setRole, map[string]any{"id": id, "r": "ADMIN"}))
			wantEvent(t, c, "ROLE_CHANGED")
			// sessionEvents needs only @auth: USER is not below it.
			ok(t, s.do(t, adm.access, setRole, map[string]any{"id": id, "r": "USER"}))
			wantEvent(t, c, "ROLE_CHANGED")
			wantOpen(t, c)
		})

		t.Run("password changed", func(t *testing.T) {
			here, _ := newUser("pw@example.com")
			there, _ := s.login(t, "pw@example.com", "password-123")
			mine, theirs := s.subscribeEvents(t, here.access), s.subscribeEvents(t, there.access)
			ok(t, s.do(t, here.access, `mutation { changePassword(currentPassword: "password-123", newPassword: "password-456") }`, nil))
			wantEvent(t, theirs, "PASSWORD_CHANGED")
			wantClose(t, theirs, 4401, "Unauthorized")
			// The session that changed it goes on, as its requests do.
			wantOpen(t, mine)
			ok(t, s.me(t, here.access))
		})

		t.Run("one session revoked", func(t *testing.T) {
			here, _ := newUser("dev@example.com")
			there, _ := s.login(t, "dev@example.com", "password-123")
			mine, theirs := s.subscribeEvents(t, here.access), s.subscribeEvents(t, there.access)
			sessions := ok(t, s.do(t, here.access, `{ mySessions { id current } }`, nil))["mySessions"].([]any)
			for _, x := range sessions {
				if m := x.(map[string]any); m["current"] == false {
					ok(t, s.do(t, here.access, `mutation($id: ID!) { revokeSession(id: $id) }`, map[string]any{"id": m["id"]}))
				}
			}
			wantEvent(t, theirs, "SESSION_REVOKED")
			wantClose(t, theirs, 4401, "Unauthorized")
			wantOpen(t, mine)
		})

		t.Run("disabled by the CLI", func(t *testing.T) {
			// Another process writes the database: NOTIFY on PostgreSQL,
			// the resync on SQLite.
			tok, _ := newUser("cli@example.com")
			c := s.subscribeEvents(t, tok.access)
			s.cli(t, "", "user", "disable", "--email", "cli@example.com")
			wantEvent(t, c, "ACCOUNT_DISABLED")
			wantClose(t, c, 4401, "Unauthorized")
		})
	})
}

// TestSocketWithoutCache: with CACHE_ENTRIES=0 the sockets hear changes
// on their own (NOTIFY, or a poll on SQLite).
func TestSocketWithoutCache(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		s := startServer(t, testEnv(dbURL, map[string]string{"CACHE_ENTRIES": "0"}))
		tok, _ := s.register(t, "nocache@example.com", "password-123")
		c := s.subscribeEvents(t, tok.access)
		start := time.Now()
		ok(t, s.do(t, tok.access, `mutation { logout(allSessions: true) }`, nil))
		wantEvent(t, c, "SESSION_REVOKED")
		if took := wantClose(t, c, 4401, "Unauthorized").Sub(start); took > propagation {
			t.Errorf("closed %v after the logout, want within %v", took, propagation)
		}
	})
}

// TestSocketReauthentication: a ping whose payload carries a new access
// token of the same user replaces the socket's token in band; its pong
// carries the new expiry. Any other token in a ping closes the socket.
func TestSocketReauthentication(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		s := startServer(t, testEnv(dbURL, nil))
		tok, _ := s.register(t, "re@example.com", "password-123")
		stranger, _ := s.register(t, "stranger@example.com", "password-123")
		revoked, _ := s.login(t, "re@example.com", "password-123")
		ok(t, s.do(t, revoked.access, `mutation { logout }`, nil))
		ping := func(t *testing.T, c *wstest.Client, token string) {
			t.Helper()
			ctx, cancel := context.WithTimeout(context.Background(), socketWait)
			defer cancel()
			if err := c.Send(ctx, wstest.Message{Type: "ping", Payload: mustJSON(bearer(token))}); err != nil {
				t.Fatal(err)
			}
		}

		t.Run("a new token of the same user", func(t *testing.T) {
			c := s.subscribeEvents(t, tok.access)
			fresh, _ := payload(t, ok(t, s.refresh(t, tok.refresh)), "refresh")
			ping(t, c, fresh.access)
			m := next(t, c)
			want := tokenExpiry(t, fresh.access).UTC().Format(time.RFC3339)
			if m.Type != "pong" || !strings.Contains(string(m.Payload), want) || strings.Contains(string(m.Payload), fresh.access) {
				t.Fatalf("want a pong with expiresAt %s, got %s %s", want, m.Type, m.Payload)
			}
			// The socket's session is now the new token's: logging that
			// token out ends it.
			ok(t, s.do(t, fresh.access, `mutation { logout }`, nil))
			wantEvent(t, c, "SESSION_REVOKED")
			wantClose(t, c, 4401, "Unauthorized")
		})
		for name, token := range map[string]string{"another user's token": stranger.access, "a revoked token": revoked.access, "garbage": "x.y.z"} {
			t.Run(name, func(t *testing.T) {
				mine, _ := s.login(t, "re@example.com", "password-123")
				c := s.subscribeEvents(t, mine.access)
				ping(t, c, token)
				wantClose(t, c, 4401, "Unauthorized")
			})
		}
	})
}

// TestSocketCaps: a user may hold WS_MAX_SOCKETS_PER_USER sockets, and
// the server WS_MAX_SOCKETS; more are refused with 4429 TOO_MANY_SOCKETS,
// and a closed socket frees its place.
func TestSocketCaps(t *testing.T) {
	s := startServer(t, testEnv(dbtest.SQLiteURL(t), map[string]string{"WS_MAX_SOCKETS": "3", "WS_MAX_SOCKETS_PER_USER": "2"}))
	one, _ := s.register(t, "one@example.com", "password-123")
	two, _ := s.register(t, "two@example.com", "password-123")
	a, _ := s.subscribeEvents(t, one.access), s.subscribeEvents(t, one.access)

	refused := func(t *testing.T, token string) {
		t.Helper()
		c := s.dialSocket(t, nil)
		ctx, cancel := context.WithTimeout(context.Background(), socketWait)
		defer cancel()
		if _, err := c.Init(ctx, bearer(token)); err == nil {
			t.Fatal("connection_init accepted")
		}
		if code, reason := c.CloseStatus(); code != 4429 || reason != "TOO_MANY_SOCKETS" {
			t.Fatalf("closed with %d %q, want 4429 TOO_MANY_SOCKETS", code, reason)
		}
	}
	refused(t, one.access) // a third socket of one user
	// Its place is freed when it closes; until then it counts in the total.
	eventuallyAccepted := func(t *testing.T, token string) *wstest.Client {
		t.Helper()
		deadline := time.Now().Add(socketWait)
		for {
			c := s.dialSocket(t, nil)
			ctx, cancel := context.WithTimeout(context.Background(), socketWait)
			_, err := c.Init(ctx, bearer(token))
			cancel()
			if err == nil {
				return c
			}
			if code, _ := c.CloseStatus(); code != 4429 || time.Now().After(deadline) {
				t.Fatalf("refused: %v", err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	eventuallyAccepted(t, two.access)
	refused(t, two.access) // the server is full
	a.Close()
	eventuallyAccepted(t, two.access)
}

// TestSocketShutdown: a server shutting down tells its sockets to
// reconnect (1013, which graphql-ws retries, to another replica) and
// waits for them, where http.Server.Shutdown does not.
func TestSocketShutdown(t *testing.T) {
	s := startServer(t, testEnv(dbtest.SQLiteURL(t), nil))
	tok, _ := s.register(t, "bye@example.com", "password-123")
	c := s.subscribeEvents(t, tok.access)
	s.stop()
	wantClose(t, c, 1013, "Try again later")
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// tokenExpiry reads a JWT's exp claim, unverified.
func tokenExpiry(t *testing.T, token string) time.Time {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct {
		Exp int64 `json:"exp"`
	}
	if err != nil || json.Unmarshal(raw, &c) != nil || c.Exp == 0 {
		t.Fatalf("no exp in %s", raw)
	}
	return time.Unix(c.Exp, 0)
}

// TestSocketExpiry: a socket hears TOKEN_EXPIRING 30 s before its access
// token expires and closes with 4401 at expiry, unless a ping carries a
// new token first: then its life is the new token's. The tokens live 32 s
// (JWT exp has whole seconds: the warning is then at least a second after
// the subscription starts), so this waits for two expiries a few seconds
// apart: both stores at once, alongside the other parallel tests.
func TestSocketExpiry(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		s := startServer(t, testEnv(dbURL, map[string]string{"ACCESS_TOKEN_TTL": "32s", "JWT_LEEWAY": "0s"}))
		first, _ := s.register(t, "exp@example.com", "password-123")
		second, _ := s.login(t, "exp@example.com", "password-123")
		plain, renewed := s.subscribeEvents(t, first.access), s.subscribeEvents(t, second.access)
		exp := tokenExpiry(t, first.access)
		const early = 100 * time.Millisecond // the server's and the test's clocks agree, but JSON times are rounded

		warned := wantEvent(t, plain, "TOKEN_EXPIRING")
		if w := time.Now(); w.Before(exp.Add(-auth.TokenExpiryWarning - early)) {
			t.Errorf("TOKEN_EXPIRING at %v, %v before expiry (%v)", w, exp.Sub(w), warned)
		}
		wantEvent(t, renewed, "TOKEN_EXPIRING")

		// The renewed socket re-authenticates in band with a refreshed
		// token, issued a second later so that it expires later.
		time.Sleep(time.Until(exp.Add(-auth.TokenExpiryWarning + time.Second)))
		fresh, _ := payload(t, ok(t, s.refresh(t, second.refresh)), "refresh")
		newExp := tokenExpiry(t, fresh.access)
		if !newExp.After(exp) {
			t.Fatalf("the refreshed token expires at %v, not after %v", newExp, exp)
		}
		ctx, cancel := context.WithTimeout(context.Background(), socketWait)
		defer cancel()
		if err := renewed.Send(ctx, wstest.Message{Type: "ping", Payload: mustJSON(bearer(fresh.access))}); err != nil {
			t.Fatal(err)
		}
		// Its pong, and soon TOKEN_EXPIRING of the new token (which is
		// within 35 s of its expiry), in either order.
		var pong, warning bool
		for range 2 {
			m := next(t, renewed)
			switch {
			case m.Type == "pong" && strings.Contains(string(m.Payload), newExp.UTC().Format(time.RFC3339)):
				pong = true
			case m.Type == "next" && strings.Contains(string(m.Payload), "TOKEN_EXPIRING"):
				warning = true
			default:
				t.Fatalf("unexpected %s %s", m.Type, m.Payload)
			}
		}
		if !pong || !warning {
			t.Fatalf("pong %v, TOKEN_EXPIRING %v", pong, warning)
		}

		ctx, cancel = context.WithTimeout(context.Background(), time.Until(exp)+socketWait)
		defer cancel()
		_, err := plain.Next(ctx)
		closed := time.Now()
		var ce *wstest.ClosedError
		if !errors.As(err, &ce) || ce.Code != 4401 || ce.Reason != "Unauthorized" {
			t.Fatalf("want close 4401 Unauthorized at expiry, got %v", err)
		}
		if closed.Before(exp.Add(-early)) {
			t.Errorf("closed at %v, before expiry %v", closed, exp)
		}
		// The renewed socket outlives the token it opened with.
		wantOpen(t, renewed)
		ctx, cancel = context.WithTimeout(context.Background(), time.Until(newExp)+socketWait)
		defer cancel()
		_, err = renewed.Next(ctx)
		if !errors.As(err, &ce) || ce.Code != 4401 || time.Now().Before(newExp.Add(-early)) {
			t.Fatalf("want close 4401 at the new expiry %v, got %v at %v", newExp, err, time.Now())
		}
	})
}

// TestSocketKeepAlive: the server pings idle sockets every WS_KEEPALIVE
// and drops one that has answered nothing for twice that, freeing its
// place under the caps.
func TestSocketKeepAlive(t *testing.T) {
	s := startServer(t, testEnv(dbtest.SQLiteURL(t), map[string]string{"WS_KEEPALIVE": "1s", "WS_MAX_SOCKETS_PER_USER": "1"}))
	tok, _ := s.register(t, "idle@example.com", "password-123")
	live := s.subscribeEvents(t, tok.access)
	time.Sleep(3500 * time.Millisecond)
	if n := live.Pings(); n < 3 {
		t.Fatalf("%d pings in 3.5 s, want one a second", n)
	}
	wantOpen(t, live)

	live.Silence()
	select {
	case <-live.Closed():
	case <-time.After(4 * time.Second):
		t.Fatal("a silent socket was not dropped within twice the keep-alive and a tick")
	}
	// Its place under the per-user cap is free again.
	s.subscribeEvents(t, tok.access)
}
