package auth_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/httpapi"
)

// request builds an HTTP request carrying the given credentials; empty
// ones are left out.
func request(bearer, accessCookie, refreshCookie, csrfHeader string) *http.Request {
	cc := httpapi.DefaultCookieConfig()
	r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
	if bearer != "" {
		r.Header.Set("Authorization", bearer)
	}
	if accessCookie != "" {
		r.AddCookie(&http.Cookie{Name: cc.AccessName, Value: accessCookie})
	}
	if refreshCookie != "" {
		r.AddCookie(&http.Cookie{Name: cc.RefreshName, Value: refreshCookie})
	}
	if csrfHeader != "" {
		r.Header.Set(cc.CSRFHeader, csrfHeader)
	}
	return r
}

var csrfFailed = want{Code: auth.CodeUnauthenticated, Reason: auth.ReasonCSRFFailed}

// In cookie mode a token pair is bound to a double-submit value: a token
// from a cookie counts only with that value in the CSRF header, which a
// cross-site request cannot send.
func TestCookieModeCSRF(t *testing.T) {
	h := newHarness(t, options{CSRF: true})
	ctx, w := h.viaHTTP(request("", "", "", ""), true)
	h.newUser("alice@example.com")
	p, err := h.login(ctx, "alice@example.com", goodPassword)
	check(t, "login", err, ok)
	if p.CSRF == "" {
		t.Fatal("no CSRF value in cookie mode")
	}
	if h.tokensInBody(ctx) {
		t.Fatal("tokens in the body in cookie-only mode: a script could read them")
	}
	h.deliver(ctx, p)
	cookies := map[string]*http.Cookie{}
	for _, c := range w.Result().Cookies() {
		cookies[c.Name] = c
	}
	cc := httpapi.DefaultCookieConfig()
	if c := cookies[cc.AccessName]; c == nil || c.Value != p.Access || !c.HttpOnly || !c.Secure {
		t.Fatalf("access cookie %+v", c)
	}
	if c := cookies[cc.RefreshName]; c == nil || c.Value != p.Refresh || !c.HttpOnly {
		t.Fatalf("refresh cookie %+v", c)
	}
	if c := cookies[cc.CSRFName]; c == nil || c.Value != p.CSRF || c.HttpOnly {
		t.Fatalf("CSRF cookie %+v (the page's scripts must read it)", c)
	}

	tests := []struct {
		name string
		r    *http.Request
		want want
	}{
		{"cookie with CSRF header", request("", p.Access, "", p.CSRF), ok},
		{"cookie without CSRF header", request("", p.Access, "", ""), csrfFailed},
		{"cookie with a wrong CSRF header", request("", p.Access, "", "forged"), csrfFailed},
		{"bearer ignored in cookie-only mode", request("Bearer "+p.Access, "", "", ""), missing},
		{"no token", request("", "", "", ""), missing},
		{"garbage cookie", request("", "garbage", "", p.CSRF), invalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, _ := h.viaHTTP(tc.r, true)
			_, err := h.me(ctx)
			check(t, "me", err, tc.want)
		})
	}

	refreshes := []struct {
		name string
		r    *http.Request
		want want
	}{
		{"cookie without CSRF header", request("", "", p.Refresh, ""), csrfFailed},
		{"cookie with a wrong CSRF header", request("", "", p.Refresh, "forged"), csrfFailed},
		{"no cookie", request("", "", "", p.CSRF), missing},
		{"cookie with CSRF header", request("", "", p.Refresh, p.CSRF), ok},
	}
	for _, tc := range refreshes {
		t.Run("refresh "+tc.name, func(t *testing.T) {
			ctx, _ := h.viaHTTP(tc.r, true)
			_, err := h.refresh(ctx, "")
			check(t, "refresh", err, tc.want)
		})
	}

	ctx, w = h.viaHTTP(request("", "", "", ""), true)
	h.clearCookies(ctx)
	for _, c := range w.Result().Cookies() {
		if c.MaxAge >= 0 || c.Value != "" {
			t.Fatalf("logout left cookie %+v", c)
		}
	}
	if n := len(w.Result().Cookies()); n != 3 {
		t.Fatalf("logout cleared %d cookies, want 3", n)
	}
}

// A token issued for headers (no CSRF value) is refused from a cookie,
// with any CSRF header or none: an empty claim must not match an empty
// header.
func TestCookieWithoutCSRFClaimRefused(t *testing.T) {
	h := newHarness(t, options{})
	p := h.newUser("alice@example.com")
	for _, sent := range []string{"anything", ""} {
		ctx, _ := h.viaHTTP(request("", p.Access, "", sent), true)
		_, err := h.me(ctx)
		check(t, "me with CSRF header "+strconv.Quote(sent), err, csrfFailed)
	}
}

// In header mode cookies are ignored, a bearer token works, and refresh
// needs its token as an argument.
func TestHeaderMode(t *testing.T) {
	h := newHarness(t, options{})
	p := h.newUser("alice@example.com")
	tests := []struct {
		name string
		r    *http.Request
		want want
	}{
		{"bearer", request("Bearer "+p.Access, "", "", ""), ok},
		{"bearer, any case", request("bearer  "+p.Access, "", "", ""), ok},
		{"not bearer", request("Basic "+p.Access, "", "", ""), invalid},
		{"bearer without token", request("Bearer ", "", "", ""), invalid},
		{"cookie ignored", request("", p.Access, "", ""), missing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, _ := h.viaHTTP(tc.r, false)
			_, err := h.me(ctx)
			check(t, "me", err, tc.want)
		})
	}
	ctx, w := h.viaHTTP(request("", "", p.Refresh, ""), false)
	if !h.tokensInBody(ctx) {
		t.Fatal("header mode must answer tokens in the body")
	}
	_, err := h.refresh(ctx, "")
	check(t, "refresh from a cookie in header mode", err, missing)
	q, err := h.refresh(ctx, p.Refresh)
	check(t, "refresh", err, ok)
	h.deliver(ctx, q)
	h.clearCookies(ctx)
	if n := len(w.Result().Cookies()); n != 0 {
		t.Fatalf("header mode set %d cookies", n)
	}
}

// The middleware records the TCP peer and a bounded user agent for
// sessions and the audit log.
func TestRequestInfoFromHTTP(t *testing.T) {
	h := newHarness(t, options{})
	h.newUser("alice@example.com")
	r := request("", "", "", "")
	r.RemoteAddr = "192.0.2.44:5555"
	r.Header.Set("User-Agent", strings.Repeat("u", 600))
	ctx, _ := h.viaHTTP(r, false)
	p, err := h.login(ctx, "alice@example.com", goodPassword)
	check(t, "login", err, ok)
	ss, err := h.mySessions(h.asUser(p.Access))
	check(t, "mySessions", err, ok)
	var s *auth.SessionView
	for i := range ss {
		if ss[i].ID == p.SessionID {
			s = &ss[i]
		}
	}
	if s == nil || s.IP != "192.0.2.44" || len(s.UserAgent) != 512 {
		t.Fatalf("session %+v", s)
	}
}
