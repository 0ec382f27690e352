package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/gqlauth/gqlauth/db/dbtest"
)

// browser is a client with a cookie jar, as a browser page is: it sends
// the cookies the server set, and the CSRF header only when told to.
type browser struct {
	s    *testServer
	jar  *cookiejar.Jar
	c    *http.Client
	last *http.Response
}

func newBrowser(t *testing.T, s *testServer) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{s: s, jar: jar, c: &http.Client{Jar: jar}}
}

// do posts an operation with the jar's cookies and, when csrf is not
// empty, the X-CSRF-Token header.
func (b *browser) do(t *testing.T, csrf, query string, vars map[string]any) *gqlResponse {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequest(http.MethodPost, b.s.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b.last = resp
	out := &gqlResponse{Status: resp.StatusCode}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("status %d, body not JSON: %v", resp.StatusCode, err)
	}
	return out
}

// cookie returns the jar's value of name ("" if absent).
func (b *browser) cookie(t *testing.T, name string) string {
	t.Helper()
	u, _ := url.Parse(b.s.URL)
	for _, c := range b.jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// setCookie returns the Set-Cookie header of the last response for name.
func (b *browser) setCookie(name string) string {
	for _, h := range b.last.Header.Values("Set-Cookie") {
		if strings.HasPrefix(h, name+"=") {
			return h
		}
	}
	return ""
}

const cookiePayload = `accessToken refreshToken csrfToken fresh user { id email }`

func cookieEnv(t *testing.T, location string, extra map[string]string) map[string]string {
	env := map[string]string{"TOKEN_LOCATION": location, "COOKIE_SECURE": "false"}
	for k, v := range extra {
		env[k] = v
	}
	return testEnv(dbtest.SQLiteURL(t), env)
}

// TestCookieModeFlow is a browser app's whole life in cookie mode: tokens
// only in HttpOnly cookies, every cookie-authenticated request with the
// CSRF header, refresh from the cookie, logout clearing the cookies.
func TestCookieModeFlow(t *testing.T) {
	s := startServer(t, cookieEnv(t, "cookies", nil))
	b := newBrowser(t, s)

	r := b.do(t, "", `mutation($i: RegisterInput!) { register(input: $i) { `+cookiePayload+` } }`,
		map[string]any{"i": map[string]any{"email": "cookie@example.com", "password": "password-123"}})
	p := ok(t, r)["register"].(map[string]any)
	if p["accessToken"] != nil || p["refreshToken"] != nil {
		t.Fatalf("cookie-only mode put tokens in the body: %v", p)
	}
	csrf := b.cookie(t, "gqlauth_csrf")
	if csrf == "" || p["csrfToken"] != csrf {
		t.Fatalf("csrfToken %v, CSRF cookie %q", p["csrfToken"], csrf)
	}
	for _, name := range []string{"gqlauth_access", "gqlauth_refresh"} {
		h := b.setCookie(name)
		if !strings.Contains(h, "HttpOnly") || !strings.Contains(h, "SameSite=Lax") || !strings.Contains(h, "Path=/") {
			t.Errorf("%s cookie lacks HttpOnly/SameSite/Path: %q", name, h)
		}
	}
	if h := b.setCookie("gqlauth_csrf"); h == "" || strings.Contains(h, "HttpOnly") {
		t.Errorf("CSRF cookie must be readable by the page: %q", h)
	}

	me := `{ me { email } }`
	if got := ok(t, b.do(t, csrf, me, nil))["me"].(map[string]any)["email"]; got != "cookie@example.com" {
		t.Fatalf("me = %v", got)
	}
	// What a cross-site page can make a browser send: the cookies without
	// the header (it cannot read the CSRF cookie), or a guessed header.
	wantErr(t, b.do(t, "", me, nil), "UNAUTHENTICATED", "CSRF_FAILED")
	wantErr(t, b.do(t, "forged-"+csrf, me, nil), "UNAUTHENTICATED", "CSRF_FAILED")
	wantErr(t, b.do(t, "", `mutation { logout }`, nil), "UNAUTHENTICATED", "CSRF_FAILED")
	ok(t, b.do(t, csrf, me, nil)) // the forged logout changed nothing

	// refresh with no argument reads the refresh cookie, and needs CSRF too.
	refresh := `mutation { refresh { ` + cookiePayload + ` } }`
	wantErr(t, b.do(t, "", refresh, nil), "UNAUTHENTICATED", "CSRF_FAILED")
	oldAccess := b.cookie(t, "gqlauth_access")
	p = ok(t, b.do(t, csrf, refresh, nil))["refresh"].(map[string]any)
	newCSRF := b.cookie(t, "gqlauth_csrf")
	if newCSRF == csrf || p["csrfToken"] != newCSRF || b.cookie(t, "gqlauth_access") == oldAccess {
		t.Fatalf("refresh did not rotate the cookies and CSRF value: %v", p)
	}
	wantErr(t, b.do(t, csrf, me, nil), "UNAUTHENTICATED", "CSRF_FAILED") // the old value is bound to the old tokens
	ok(t, b.do(t, newCSRF, me, nil))

	// A header is ignored where only cookies are allowed.
	wantErr(t, s.me(t, oldAccess), "UNAUTHENTICATED", "TOKEN_MISSING")

	if !ok(t, b.do(t, newCSRF, `mutation { logout }`, nil))["logout"].(bool) {
		t.Fatal("logout returned false")
	}
	for _, name := range []string{"gqlauth_access", "gqlauth_refresh", "gqlauth_csrf"} {
		if h := b.setCookie(name); !strings.Contains(h, "Max-Age=0") {
			t.Errorf("logout did not clear %s: %q", name, h)
		}
		if v := b.cookie(t, name); v != "" {
			t.Errorf("%s still in the jar after logout", name)
		}
	}
	wantErr(t, b.do(t, newCSRF, me, nil), "UNAUTHENTICATED", "TOKEN_MISSING")
	wantErr(t, b.do(t, newCSRF, refresh, nil), "UNAUTHENTICATED", "TOKEN_MISSING")
}

// TestCookieAndHeaderMode: with both locations, the body carries tokens
// for header clients, header requests need no CSRF value, and cookie
// requests still do.
func TestCookieAndHeaderMode(t *testing.T) {
	s := startServer(t, cookieEnv(t, "headers,cookies", map[string]string{"COOKIE_SAMESITE": "Strict"}))
	b := newBrowser(t, s)
	p := ok(t, b.do(t, "", `mutation($i: RegisterInput!) { register(input: $i) { `+cookiePayload+` } }`,
		map[string]any{"i": map[string]any{"email": "both@example.com", "password": "password-123"}}))["register"].(map[string]any)
	access, _ := p["accessToken"].(string)
	if access == "" || p["csrfToken"] == nil {
		t.Fatalf("want tokens and csrfToken in the body: %v", p)
	}
	if h := b.setCookie("gqlauth_access"); !strings.Contains(h, "SameSite=Strict") {
		t.Errorf("COOKIE_SAMESITE=Strict not applied: %q", h)
	}
	ok(t, s.me(t, access)) // bearer, no CSRF header, no cookies
	wantErr(t, b.do(t, "", `{ me { email } }`, nil), "UNAUTHENTICATED", "CSRF_FAILED")
	ok(t, b.do(t, p["csrfToken"].(string), `{ me { email } }`, nil))
	// A refresh token passed as an argument is not ambient: no CSRF needed.
	ok(t, s.refresh(t, p["refreshToken"].(string)))
}

// TestHeaderModeSetsNoCookies: the default sets no cookies and ignores a
// token cookie, so enabling cookies is a deliberate choice.
func TestHeaderModeSetsNoCookies(t *testing.T) {
	s := startServer(t, testEnv(dbtest.SQLiteURL(t), nil))
	b := newBrowser(t, s)
	p := ok(t, b.do(t, "", `mutation($i: RegisterInput!) { register(input: $i) { `+cookiePayload+` } }`,
		map[string]any{"i": map[string]any{"email": "hdr@example.com", "password": "password-123"}}))["register"].(map[string]any)
	if n := len(b.last.Header.Values("Set-Cookie")); n != 0 || p["csrfToken"] != nil {
		t.Fatalf("header mode set %d cookies, csrfToken %v", n, p["csrfToken"])
	}
	u, _ := url.Parse(s.URL)
	b.jar.SetCookies(u, []*http.Cookie{{Name: "gqlauth_access", Value: p["accessToken"].(string)}})
	wantErr(t, b.do(t, "x", `{ me { email } }`, nil), "UNAUTHENTICATED", "TOKEN_MISSING")
}

// TestCookieSecureByDefault: outside local development cookies must not
// travel over plain HTTP, so Secure is the default.
func TestCookieSecureByDefault(t *testing.T) {
	env := cookieEnv(t, "cookies", nil)
	delete(env, "COOKIE_SECURE")
	s := startServer(t, env)
	body, _ := json.Marshal(map[string]any{"query": `mutation($i: RegisterInput!) { register(input: $i) { csrfToken } }`,
		"variables": map[string]any{"i": map[string]any{"email": "sec@example.com", "password": "password-123"}}})
	resp, err := http.Post(s.URL+"/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cookies := resp.Header.Values("Set-Cookie")
	if len(cookies) != 3 {
		t.Fatalf("want 3 cookies, got %q", cookies)
	}
	for _, h := range cookies {
		if !strings.Contains(h, "; Secure") {
			t.Errorf("cookie not Secure by default: %q", h)
		}
	}
}
