package main

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gqlauth/gqlauth/idp/idptest"
)

// TestOidcLinkingRules: an unknown identity whose email names an existing
// account joins it only when the provider asserts email_verified and the
// account verified its address; in every other case the answer is
// IDENTITY_LINK_REQUIRED with no tokens and nothing linked (no takeover
// through an unverified address, on either side). The person then signs
// in the usual way and links the provider; an identity linked elsewhere,
// or a link flow begun by another account, links nothing.
func TestOidcLinkingRules(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		idp := startIdP(t, idptest.Options{})
		s := startServer(t, oidcEnv(t, dbURL, map[string]*idptest.Provider{"google": idp}, nil))
		account := func(email string, verified bool) (string, tokens) {
			tk, p := s.register(t, email, "password-123")
			if verified {
				s.markVerified(t, tk.access, email)
			}
			return p["user"].(map[string]any)["id"].(string), tk
		}
		at := func(sub, email string, verified bool) string {
			idp.AddUser(idptest.User{Subject: sub, Username: sub, Password: "pw", Email: email, EmailVerified: verified})
			return sub
		}
		users := func() int { return dbCount(t, dbURL, `SELECT COUNT(*) FROM users`) }
		refused := func(who, email string) {
			t.Helper()
			before, linked := users(), dbCount(t, dbURL, `SELECT COUNT(*) FROM user_identities`)
			r := s.oidcLogin(t, "google", who, "pw")
			wantErr(t, r, "IDENTITY_LINK_REQUIRED", "")
			if r.Data != nil && r.Data["finishOidcLogin"] != nil {
				t.Fatalf("%s: data with IDENTITY_LINK_REQUIRED: %v", email, r.Data)
			}
			if users() != before || dbCount(t, dbURL, `SELECT COUNT(*) FROM user_identities`) != linked {
				t.Fatalf("%s: a refused sign-in created or linked something", email)
			}
		}

		// Both verified: joined.
		bothID, _ := account("both@example.com", true)
		_, p := s.oidcTokens(t, "google", at("sub-both", "both@example.com", true), "pw")
		if p["user"].(map[string]any)["id"] != bothID {
			t.Fatalf("verified on both sides: signed in to %v, want %s", p["user"], bothID)
		}

		// The provider does not vouch for the address: refused, whether
		// or not the account verified it (an attacker's provider account
		// claiming the victim's address).
		_, victimTk := account("victim@example.com", true)
		refused(at("sub-claims-victim", "victim@example.com", false), "victim@example.com")
		// The account never proved its address (someone may have
		// registered it to wait for its owner): refused too.
		account("squatted@example.com", false)
		refused(at("sub-owner", "squatted@example.com", true), "squatted@example.com")
		// Case and Unicode forms name the same account.
		refused(at("sub-upper", "VICTIM@Example.COM", false), "VICTIM@Example.COM")

		// An unknown address with an unverified provider email: a new
		// account, unverified.
		_, p = s.oidcTokens(t, "google", at("sub-new", "new@example.com", false), "pw")
		tk := payloadTokens(t, map[string]any{"x": p}, "x")
		me := ok(t, s.do(t, tk.access, identitiesQ, nil))["me"].(map[string]any)
		if me["email"] != "new@example.com" || me["emailVerified"] != false {
			t.Fatalf("new account %v", me)
		}

		// The victim signs in with the password and links their own
		// provider account; then the provider signs in to their account.
		victimID := ok(t, s.me(t, victimTk.access))["me"].(map[string]any)["id"]
		at("sub-victim", "victim@example.com", true)
		linked := ok(t, s.oidcLink(t, victimTk.access, "google", "sub-victim", "pw"))["finishOidcLink"].(map[string]any)
		if !slices.Equal(providersOf(linked), []string{"google"}) {
			t.Fatalf("linked %v", linked)
		}
		_, p = s.oidcTokens(t, "google", "sub-victim", "pw")
		if p["user"].(map[string]any)["id"] != victimID {
			t.Fatalf("linked identity signed in to %v", p["user"])
		}
		// Linked already: refused before the provider.
		wantOidcErr(t, s.do(t, victimTk.access, beginLinkQ, map[string]any{"p": "google", "r": oidcCallback}), "provider", "")

		// An identity linked to another account is not moved.
		_, otherTk := account("other@example.com", true)
		e := wantOidcErr(t, s.oidcLink(t, otherTk.access, "google", "sub-victim", "pw"), "provider", "")
		if !strings.Contains(e.Message, "another account") {
			t.Fatalf("message %q", e.Message)
		}
		// A link flow the victim began, finished by another account (a
		// callback URL planted on it), links nothing.
		r := s.do(t, victimTk.access, unlinkQ, map[string]any{"p": "google"}) // so that a link could happen
		ok(t, r)
		r = s.do(t, victimTk.access, beginLinkQ, map[string]any{"p": "google", "r": oidcCallback})
		cb := signInAt(t, ok(t, r)["beginOidcLink"].(map[string]any)["url"].(string), "sub-victim", "pw")
		wantOidcErr(t, s.do(t, otherTk.access, finishLinkQ, map[string]any{"p": "google", "c": cb.code, "s": cb.state}), "state", "STATE_INVALID")
		if n := dbCount(t, dbURL, `SELECT COUNT(*) FROM user_identities WHERE subject = 'sub-victim'`); n != 0 {
			t.Fatalf("sub-victim linked %d times", n)
		}

		// Linking needs a fresh token, as every credential change does.
		rt := payloadTokens(t, ok(t, s.refresh(t, otherTk.refresh)), "refresh")
		wantErr(t, s.do(t, rt.access, beginLinkQ, map[string]any{"p": "google", "r": oidcCallback}), "FRESH_TOKEN_REQUIRED", "")
		wantErr(t, s.do(t, "", beginLinkQ, map[string]any{"p": "google", "r": oidcCallback}), "UNAUTHENTICATED", "")

		admin := adminOf(t, s)
		events := auditTypes(t, s, admin, "")
		for _, want := range []string{"identity_link_required (email not verified by the provider)", "identity_link_required (the account's email is not verified)"} {
			if !slices.ContainsFunc(events, func(e string) bool {
				return strings.HasPrefix(e, "oidc_refused:") && strings.Contains(e, strings.ReplaceAll(want, "identity_link_required", "IDENTITY_LINK_REQUIRED"))
			}) {
				t.Errorf("no refusal %q audited: %v", want, events)
			}
		}
		if !slices.ContainsFunc(events, func(e string) bool { return e == "identity_linked:google" }) {
			t.Errorf("the link is not audited: %v", events)
		}
	})
}

// TestOidcSecondFactor: a provider's sign-in to an account with TOTP
// answers mfaRequired and an mfaToken, no tokens, exactly as a password
// does; verifyMfa then opens a session with amr ["ext","otp"] (aal2). An
// account with a second factor is never joined by email alone.
func TestOidcSecondFactor(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		idp := startIdP(t, idptest.Options{})
		s := startServer(t, oidcEnv(t, dbURL, map[string]*idptest.Provider{"google": idp}, map[string]string{"MFA_ENCRYPTION_KEY": testMfaKey}))
		u := s.enroll(t, "totp@example.com")
		idp.AddUser(idptest.User{Subject: "sub-totp", Username: "totp", Password: "pw", Email: "totp@example.com", EmailVerified: true})

		// Both addresses verified, but the account has a second factor.
		wantErr(t, s.oidcLogin(t, "google", "totp", "pw"), "IDENTITY_LINK_REQUIRED", "")

		// Linked from the account (its session of the registration is
		// fresh)...
		ok(t, s.oidcLink(t, u.tokens.access, "google", "totp", "pw"))

		// ...a provider's sign-in is only the first step.
		r := s.oidcLogin(t, "google", "totp", "pw")
		p := ok(t, r)["finishOidcLogin"].(map[string]any)
		if p["mfaRequired"] != true || p["accessToken"] != nil || p["refreshToken"] != nil || p["mfaToken"] == nil {
			t.Fatalf("finishOidcLogin for a TOTP account = %v", p)
		}
		wantCodeErr(t, s.do(t, "", verifyMfaQ, map[string]any{"t": p["mfaToken"], "c": "000000"}))
		next := u.step.Add(30 * time.Second) // the enrollment spent its step's code
		done := payloadTokens(t, ok(t, s.do(t, "", verifyMfaQ, map[string]any{"t": p["mfaToken"], "c": totpAt(t, u.secret, next)})), "verifyMfa")
		wantAuthn(t, done.access, "aal2", "ext", "otp")
		wantAuthn(t, done.refresh, "aal2", "ext", "otp")
		// The mfaToken is spent.
		wantErr(t, s.do(t, "", verifyMfaQ, map[string]any{"t": p["mfaToken"], "c": u.recovery[0]}), "UNAUTHENTICATED", "")
		// A recovery code works as the second step too.
		p = ok(t, s.oidcLogin(t, "google", "totp", "pw"))["finishOidcLogin"].(map[string]any)
		rec := payloadTokens(t, ok(t, s.do(t, "", verifyMfaQ, map[string]any{"t": p["mfaToken"], "c": u.recovery[1]})), "verifyMfa")
		wantAuthn(t, rec.access, "aal2", "ext", "recovery")
		// So does a passkey, and the tokens still name the provider as
		// the first step: ["ext","hwk"], not a password nobody typed.
		a := newAuthenticator()
		s.addPasskey(t, u.tokens.access, a, "key")
		p = ok(t, s.oidcLogin(t, "google", "totp", "pw"))["finishOidcLogin"].(map[string]any)
		c := s.beginPkLogin(t, "totp@example.com")
		hwk := payloadTokens(t, ok(t, s.do(t, "", verifyPkQ, map[string]any{"t": p["mfaToken"], "c": c.id, "cr": assert(t, a, c, nil)})), "verifyMfaPasskey")
		wantAuthn(t, hwk.access, "aal2", "ext", "hwk")
		wantAuthn(t, hwk.refresh, "aal2", "ext", "hwk")
	})
}

// TestOidcUnlink: unlinkIdentity is refused (LAST_SIGN_IN_METHOD) when it
// would leave the account no way in: no password and no other identity.
// With another identity, or after a password reset gave the account a
// password, it works, and ends the caller's other sessions.
func TestOidcUnlink(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		google := startIdP(t, idptest.Options{Users: []idptest.User{ada}})
		corp := startIdP(t, idptest.Options{Users: []idptest.User{ada}})
		box, env := oidcMailEnv(t, dbURL, map[string]*idptest.Provider{"google": google, "corp": corp})
		s := startServer(t, env)
		tk, _ := s.oidcTokens(t, "google", "ada", "ada-pw")
		last := func(token, provider string) {
			t.Helper()
			e := wantErr(t, s.do(t, token, unlinkQ, map[string]any{"p": provider}), "BAD_USER_INPUT", "LAST_SIGN_IN_METHOD")
			if e.Extensions["field"] != "provider" {
				t.Fatalf("%+v", e)
			}
		}
		last(tk.access, "google")
		wantOidcErr(t, s.do(t, tk.access, unlinkQ, map[string]any{"p": "corp"}), "provider", "")

		// With a second identity, either may go, but not both.
		ok(t, s.oidcLink(t, tk.access, "corp", "ada", "ada-pw"))
		other, _ := s.oidcTokens(t, "corp", "ada", "ada-pw") // another device
		u := ok(t, s.do(t, tk.access, unlinkQ, map[string]any{"p": "google"}))["unlinkIdentity"].(map[string]any)
		if !slices.Equal(providersOf(u), []string{"corp"}) {
			t.Fatalf("after unlink: %v", u)
		}
		wantErr(t, s.me(t, other.access), "UNAUTHENTICATED", "TOKEN_REVOKED")
		ok(t, s.me(t, tk.access))
		last(tk.access, "corp")
		// Unlinking needs a fresh token.
		rt := payloadTokens(t, ok(t, s.refresh(t, tk.refresh)), "refresh")
		wantErr(t, s.do(t, rt.access, unlinkQ, map[string]any{"p": "corp"}), "FRESH_TOKEN_REQUIRED", "")

		// A reset link gives the account a password (its address was
		// verified by the provider, so its identities stay)...
		ok(t, s.do(t, "", requestResetOp, map[string]any{"e": "ada@example.com"}))
		token := linkToken(t, box.next(t, "ada@example.com"), "reset-password")
		ok(t, s.do(t, "", resetPasswordOp, map[string]any{"t": token, "p": "a-new-password"}))
		pw, _ := s.login(t, "ada@example.com", "a-new-password")
		// ...so the last identity may go now.
		u = ok(t, s.do(t, pw.access, unlinkQ, map[string]any{"p": "corp"}))["unlinkIdentity"].(map[string]any)
		if len(providersOf(u)) != 0 {
			t.Fatalf("after the last unlink: %v", u)
		}
		// And the password, the one way left, works.
		s.login(t, "ada@example.com", "a-new-password")
	})
}

// TestOidcResetDropsUnprovenIdentities: an account made by a provider
// that did not verify the address (anyone can claim one there) is taken
// by whoever proves the address with a reset link: the identities linked
// before are dropped, so that the claimant cannot sign in to the
// account its owner now uses (pre-account takeover).
func TestOidcResetDropsUnprovenIdentities(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		idp := startIdP(t, idptest.Options{Users: []idptest.User{grace}})
		box, env := oidcMailEnv(t, dbURL, map[string]*idptest.Provider{"google": idp})
		s := startServer(t, env)
		claimant, _ := s.oidcTokens(t, "google", "grace", "grace-pw")
		ok(t, s.do(t, "", requestResetOp, map[string]any{"e": "grace@example.com"}))
		token := linkToken(t, box.next(t, "grace@example.com"), "reset-password")
		ok(t, s.do(t, "", resetPasswordOp, map[string]any{"t": token, "p": "owner-password"}))
		wantErr(t, s.me(t, claimant.access), "UNAUTHENTICATED", "TOKEN_REVOKED")
		owner, _ := s.login(t, "grace@example.com", "owner-password")
		me := ok(t, s.do(t, owner.access, identitiesQ, nil))["me"].(map[string]any)
		if len(providersOf(me)) != 0 || me["emailVerified"] != true {
			t.Fatalf("after the owner's reset: %v", me)
		}
		// The claimant's next sign-in meets a verified account and an
		// unverified provider address: IDENTITY_LINK_REQUIRED.
		wantErr(t, s.oidcLogin(t, "google", "grace", "grace-pw"), "IDENTITY_LINK_REQUIRED", "")
	})
}

// TestOidcVerificationDropsUnprovenIdentities: someone signs in at a
// provider that does not vouch for the address, creating an account with
// someone else's address; when the address's owner follows a verification
// link (the claimant may even have asked for it), the claimant's identity
// and sessions go, so the owner does not share the account with them, and
// the claimant cannot sign in again through it.
func TestOidcVerificationDropsUnprovenIdentities(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		idp := startIdP(t, idptest.Options{Users: []idptest.User{grace}})
		box, env := oidcMailEnv(t, dbURL, map[string]*idptest.Provider{"google": idp})
		s := startServer(t, env)
		claimant, _ := s.oidcTokens(t, "google", "grace", "grace-pw")
		ok(t, s.do(t, claimant.access, sendVerifyOp, nil))
		token := linkToken(t, box.next(t, "grace@example.com"), "verify-email")
		u := ok(t, s.do(t, "", verifyEmailOp, map[string]any{"t": token}))["verifyEmail"].(map[string]any)
		if u["emailVerified"] != true {
			t.Fatalf("verifyEmail = %v", u)
		}
		wantErr(t, s.me(t, claimant.access), "UNAUTHENTICATED", "TOKEN_REVOKED")
		if n := dbCount(t, dbURL, `SELECT COUNT(*) FROM user_identities`); n != 0 {
			t.Fatalf("%d identities left after the owner proved the address", n)
		}
		wantErr(t, s.oidcLogin(t, "google", "grace", "grace-pw"), "IDENTITY_LINK_REQUIRED", "")
	})
}

// TestOidcUnlinkCountsPasskeys: a passkey is a way in of its own, so an
// account a provider made may unlink that provider once it has a
// passkey; the passkey is then the last way in, and deletePasskey refuses
// it (LAST_SIGN_IN_METHOD, field id) while a second passkey lets either go.
// With passkeys off (no origin may use them), a passkey is no way in.
func TestOidcUnlinkCountsPasskeys(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		google := startIdP(t, idptest.Options{Users: []idptest.User{ada}})
		env := oidcEnv(t, dbURL, map[string]*idptest.Provider{"google": google}, nil)
		s := startServer(t, env)
		tk, _ := s.oidcTokens(t, "google", "ada", "ada-pw")
		a := newAuthenticator()
		first, _ := s.addPasskey(t, tk.access, a, "laptop")
		s.stop()

		// Passkeys off: the identity is the last way in.
		offEnv := maps.Clone(env)
		offEnv["WEBAUTHN_RP_ID"] = "elsewhere.example"
		off := startServer(t, offEnv)
		if e := wantErr(t, off.do(t, tk.access, unlinkQ, map[string]any{"p": "google"}), "BAD_USER_INPUT", "LAST_SIGN_IN_METHOD"); e.Extensions["field"] != "provider" {
			t.Fatalf("%+v", e)
		}
		off.stop()

		s = startServer(t, env)
		u := ok(t, s.do(t, tk.access, unlinkQ, map[string]any{"p": "google"}))["unlinkIdentity"].(map[string]any)
		if len(providersOf(u)) != 0 {
			t.Fatalf("after unlink: %v", u)
		}
		refused := func(id string) {
			t.Helper()
			e := wantErr(t, s.do(t, tk.access, deletePkQ, map[string]any{"id": id}), "BAD_USER_INPUT", "LAST_SIGN_IN_METHOD")
			if e.Extensions["field"] != "id" {
				t.Fatalf("%+v", e)
			}
		}
		refused(first)
		// The refusal wrote nothing: the passkey still signs in.
		pk, _ := s.passkeyLogin(t, a, "ada@example.com")
		ok(t, s.me(t, pk.access))

		// With a second passkey, one may go, and then not the other.
		second, _ := s.addPasskey(t, tk.access, newAuthenticator(), "phone")
		if d := ok(t, s.do(t, tk.access, deletePkQ, map[string]any{"id": first})); d["deletePasskey"] != true {
			t.Fatalf("deletePasskey = %v", d)
		}
		refused(second)
		// An unknown id is still "no such passkey", not the last-method refusal.
		if e := wantErr(t, s.do(t, tk.access, deletePkQ, map[string]any{"id": first}), "BAD_USER_INPUT", ""); e.Extensions["reason"] != nil {
			t.Fatalf("deleting a deleted passkey: %+v", e)
		}
	})
}

// oidcBrowser is a browser for sign-ins in cookie mode: a cookie jar, and
// the CSRF header its session cookies need.
type oidcBrowser struct {
	t      *testing.T
	s      *testServer
	client *http.Client
}

func newOidcBrowser(t *testing.T, s *testServer) *oidcBrowser {
	jar, _ := cookiejar.New(nil)
	return &oidcBrowser{t: t, s: s, client: &http.Client{Jar: jar}}
}

// post sends a GraphQL request with the browser's cookies (and the CSRF
// header its session cookies need).
func (b *oidcBrowser) post(query string, vars map[string]any) (*gqlResponse, *http.Response) {
	b.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, b.s.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if c := b.cookie("gqlauth_csrf"); c != "" {
		req.Header.Set("X-CSRF-Token", c)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	out, _ := decodeGQL(b.t, resp)
	return out, resp
}

func (b *oidcBrowser) cookie(name string) string {
	u, _ := url.Parse(b.s.URL)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// begin starts a sign-in (or, with link, a link) at provider, signs in
// there as username and returns the callback.
func (b *oidcBrowser) begin(provider, username, password string, link bool) callback {
	b.t.Helper()
	q, field := beginLoginQ, "beginOidcLogin"
	if link {
		q, field = beginLinkQ, "beginOidcLink"
	}
	r, _ := b.post(q, map[string]any{"p": provider, "r": oidcCallback})
	return signInAt(b.t, ok(b.t, r)[field].(map[string]any)["url"].(string), username, password)
}

// setCookie is the Set-Cookie of resp named name, or nil.
func setCookie(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// TestOidcLoginBoundToBrowser: in cookie mode a sign-in is bound to the
// browser that began it (a host-only HttpOnly cookie, ten minutes). An
// attacker who begins a sign-in to their own account and stops at the
// callback cannot have a victim's browser finish it (login CSRF):
// STATE_INVALID, nothing spent, with no cookie or a forged one; a link is
// bound the same way. The browser that began it finishes it, two tabs'
// flows alike.
func TestOidcLoginBoundToBrowser(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		google := startIdP(t, idptest.Options{Users: []idptest.User{ada}})
		corp := startIdP(t, idptest.Options{Users: []idptest.User{ada}})
		s := startServer(t, oidcEnv(t, dbURL, map[string]*idptest.Provider{"google": google, "corp": corp},
			map[string]string{"TOKEN_LOCATION": "cookies", "COOKIE_SECURE": "false", "COOKIE_DOMAIN": "127.0.0.1"}))
		elsewhere := func(r *gqlResponse, what string) {
			t.Helper()
			if e := wantErr(t, r, "BAD_USER_INPUT", "STATE_INVALID"); e.Extensions["field"] != "state" || !strings.Contains(e.Message, "another browser") {
				t.Fatalf("%s: %+v", what, e)
			}
		}

		attacker := newOidcBrowser(t, s)
		r, resp := attacker.post(beginLoginQ, map[string]any{"p": "google", "r": oidcCallback})
		c := setCookie(resp, "gqlauth_oidc")
		if c == nil || !c.HttpOnly || c.MaxAge != 600 || c.Path != "/" || c.Domain != "" || len(c.Value) != 43 {
			t.Fatalf("the flow cookie of beginOidcLogin (host-only even with COOKIE_DOMAIN): %+v", c)
		}
		// A second tab's flow reuses the browser's secret: both finish.
		_, resp = attacker.post(beginLoginQ, map[string]any{"p": "google", "r": oidcCallback})
		if c2 := setCookie(resp, "gqlauth_oidc"); c2 == nil || c2.Value != c.Value {
			t.Fatalf("a second begin replaced the browser's secret: %+v", c2)
		}
		cb := signInAt(t, ok(t, r)["beginOidcLogin"].(map[string]any)["url"].(string), "ada", "ada-pw")
		finish := map[string]any{"p": "google", "c": cb.code, "s": cb.state}

		forged := newOidcBrowser(t, s)
		u, _ := url.Parse(s.URL)
		forged.client.Jar.SetCookies(u, []*http.Cookie{{Name: "gqlauth_oidc", Value: strings.Repeat("A", 43)}})
		for name, victim := range map[string]*oidcBrowser{"no cookie": newOidcBrowser(t, s), "forged cookie": forged} {
			r, resp := victim.post(finishLoginQ, finish)
			elsewhere(r, name)
			if setCookie(resp, "gqlauth_access") != nil {
				t.Fatalf("%s: a session cookie was set", name)
			}
		}

		r, _ = attacker.post(finishLoginQ, finish)
		if p := ok(t, r)["finishOidcLogin"].(map[string]any); p["user"].(map[string]any)["email"] != "ada@example.com" {
			t.Fatalf("finishOidcLogin in the browser that began it = %v", p)
		}
		if attacker.cookie("gqlauth_access") == "" {
			t.Fatal("no session cookie after the sign-in")
		}
		// The second tab's flow still finishes in this browser.
		ok(t, first(attacker.post(finishLoginQ, callbackVars("google", attacker.begin("google", "ada", "ada-pw", false)))))

		// A link is bound too: begun in this browser, it is refused in
		// another one signed in to the same account, and finishes here.
		other := newOidcBrowser(t, s)
		ok(t, first(other.post(finishLoginQ, callbackVars("google", other.begin("google", "ada", "ada-pw", false)))))
		link := attacker.begin("corp", "ada", "ada-pw", true)
		r, _ = other.post(finishLinkQ, callbackVars("corp", link))
		elsewhere(r, "finishOidcLink in another browser")
		if ids := ok(t, first(attacker.post(finishLinkQ, callbackVars("corp", link))))["finishOidcLink"].(map[string]any)["identities"].([]any); len(ids) != 2 {
			t.Fatalf("identities after the link: %v", ids)
		}
		s.stop()

		// Secure cookies: the flow cookie takes the __Host- prefix.
		s = startServer(t, oidcEnv(t, dbURL, map[string]*idptest.Provider{"google": google}, map[string]string{"TOKEN_LOCATION": "cookies"}))
		_, resp = newOidcBrowser(t, s).post(beginLoginQ, map[string]any{"p": "google", "r": oidcCallback})
		if c := setCookie(resp, "__Host-gqlauth_oidc"); c == nil || !c.Secure || c.Path != "/" || c.Domain != "" {
			t.Fatalf("the Secure flow cookie: %+v", resp.Header.Values("Set-Cookie"))
		}
	})
}

// TestOidcBothModesBodyOnly: with TOKEN_LOCATION=headers,cookies a page on
// another site in header mode never gets the flow cookie back, so a
// finish without it is not refused; but it gets its tokens in the body
// only: no cookie session is forced on the browser that finished it.
func TestOidcBothModesBodyOnly(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		google := startIdP(t, idptest.Options{Users: []idptest.User{ada}})
		s := startServer(t, oidcEnv(t, dbURL, map[string]*idptest.Provider{"google": google},
			map[string]string{"TOKEN_LOCATION": "headers,cookies", "COOKIE_SECURE": "false"}))
		began := newOidcBrowser(t, s)
		cb := began.begin("google", "ada", "ada-pw", false)

		r, resp := newOidcBrowser(t, s).post(finishLoginQ, callbackVars("google", cb))
		p := ok(t, r)["finishOidcLogin"].(map[string]any)
		if p["accessToken"] == nil || p["refreshToken"] == nil {
			t.Fatalf("no tokens in the body: %v", p)
		}
		if setCookie(resp, "gqlauth_access") != nil || setCookie(resp, "gqlauth_refresh") != nil {
			t.Fatalf("session cookies set by a finish from another browser: %v", resp.Header.Values("Set-Cookie"))
		}
		// The browser that began a flow gets its cookies as usual.
		r, resp = began.post(finishLoginQ, callbackVars("google", began.begin("google", "ada", "ada-pw", false)))
		ok(t, r)
		if setCookie(resp, "gqlauth_access") == nil {
			t.Fatalf("no session cookie in the browser that began the flow: %v", resp.Header.Values("Set-Cookie"))
		}
	})
}

func callbackVars(provider string, cb callback) map[string]any {
	return map[string]any{"p": provider, "c": cb.code, "s": cb.state}
}

// first is the response of a post, without its HTTP answer.
func first(r *gqlResponse, _ *http.Response) *gqlResponse { return r }
