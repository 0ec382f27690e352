package main

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/gqlauth/gqlauth/idp/idptest"
)

var (
	ada   = idptest.User{Subject: "sub-ada", Username: "ada", Password: "ada-pw", Email: "ada@example.com", EmailVerified: true}
	grace = idptest.User{Subject: "sub-grace", Username: "grace", Password: "grace-pw", Email: "grace@example.com", EmailVerified: false}
)

// TestOidcCodeFlow: the whole authorization-code flow through the real
// server and a real provider, on both stores. The authorization URL asks
// for a code with PKCE S256 and a nonce (the provider refuses requests
// without them); the first sign-in creates a password-less account with
// the provider's verified email; the next one signs in to the same
// account; tokens say amr ["ext"]; identities, audit events and
// adminStats show it; password login and changePassword explain
// themselves to an account without a password.
func TestOidcCodeFlow(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		google := startIdP(t, idptest.Options{Users: []idptest.User{ada}})
		corp := startIdP(t, idptest.Options{Users: []idptest.User{ada}, ClaimsInUserinfoOnly: true})
		env := oidcEnv(t, dbURL, map[string]*idptest.Provider{"google": google, "corp": corp}, nil)
		env["OIDC_PROVIDERS"] = "google,corp" // in this order
		env["OIDC_CORP_NAME"] = "Corp SSO"
		s := startServer(t, env)

		got := ok(t, s.do(t, "", `{ oidcProviders { id name } }`, nil))["oidcProviders"]
		want := []any{map[string]any{"id": "google", "name": "Google"}, map[string]any{"id": "corp", "name": "Corp SSO"}}
		if !slices.EqualFunc(got.([]any), want, func(a, b any) bool {
			return a.(map[string]any)["id"] == b.(map[string]any)["id"] && a.(map[string]any)["name"] == b.(map[string]any)["name"]
		}) {
			t.Fatalf("oidcProviders = %v", got)
		}

		authURL := s.beginLogin(t, "google")
		u, err := url.Parse(authURL)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if !strings.HasPrefix(authURL, google.Issuer+"/") || q.Get("response_type") != "code" || q.Get("client_id") != "gqlauth" ||
			q.Get("redirect_uri") != oidcCallback || q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 ||
			len(q.Get("state")) != 43 || len(q.Get("nonce")) != 43 || !strings.Contains(q.Get("scope"), "email") {
			t.Fatalf("authorization URL %s", authURL)
		}
		// Another begin draws another state and nonce.
		q2 := must(url.Parse(s.beginLogin(t, "google"))).Query()
		if q2.Get("state") == q.Get("state") || q2.Get("nonce") == q.Get("nonce") || q2.Get("code_challenge") == q.Get("code_challenge") {
			t.Fatal("a flow's secrets were reused")
		}

		r := s.finishLogin(t, "google", signInAt(t, authURL, "ada", "ada-pw"))
		tk, p := payload(t, ok(t, r), "finishOidcLogin")
		if p["mfaRequired"] != false || p["user"].(map[string]any)["email"] != "ada@example.com" {
			t.Fatalf("finishOidcLogin = %v", p)
		}
		wantAuthn(t, tk.access, "aal1", "ext")
		wantAuthn(t, tk.refresh, "aal1", "ext")
		if c := jwtClaims(t, tk.access); c["fresh"] != true {
			t.Fatalf("a provider's sign-in gives a fresh token: %v", c)
		}
		me := ok(t, s.do(t, tk.access, identitiesQ, nil))["me"].(map[string]any)
		ids := me["identities"].([]any)
		if me["emailVerified"] != true || len(ids) != 1 || ids[0].(map[string]any)["provider"] != "google" ||
			ids[0].(map[string]any)["subject"] != "sub-ada" || ids[0].(map[string]any)["email"] != "ada@example.com" {
			t.Fatalf("me = %v", me)
		}
		userID := me["id"].(string)

		// A refresh keeps amr.
		rt, _ := payload(t, ok(t, s.refresh(t, tk.refresh)), "refresh")
		wantAuthn(t, rt.access, "aal1", "ext")

		// The next sign-in finds the same account.
		tk2, p2 := s.oidcTokens(t, "google", "ada", "ada-pw")
		if p2["user"].(map[string]any)["id"] != userID {
			t.Fatalf("second sign-in made another account: %v", p2)
		}
		ok(t, s.me(t, tk2.access))

		// The same person at another provider (whose ID token holds no
		// email: gqlauth asks its userinfo endpoint) has the same verified
		// address: their accounts are joined.
		_, p3 := s.oidcTokens(t, "corp", "ada", "ada-pw")
		if p3["user"].(map[string]any)["id"] != userID {
			t.Fatalf("corp sign-in: %v", p3)
		}
		me = ok(t, s.do(t, tk2.access, identitiesQ, nil))["me"].(map[string]any)
		if got := providersOf(me); !slices.Equal(got, []string{"google", "corp"}) {
			t.Fatalf("identities %v", got)
		}

		// No password: a password login fails as for an unknown address,
		// changePassword says how to set one.
		wantErr(t, s.do(t, "", `mutation($i: LoginInput!) { login(input: $i) { accessToken } }`,
			map[string]any{"i": map[string]any{"email": "ada@example.com", "password": "anything-at-all"}}), "INVALID_CREDENTIALS", "")
		e := wantErr(t, s.do(t, tk2.access, `mutation { changePassword(currentPassword: "", newPassword: "new-password-1") }`, nil), "BAD_USER_INPUT", "")
		if e.Extensions["field"] != "currentPassword" || !strings.Contains(e.Message, "requestPasswordReset") {
			t.Fatalf("changePassword on a password-less account: %+v", e)
		}

		// Audit and figures.
		admin := adminOf(t, s)
		st := ok(t, s.do(t, admin, `{ adminStats { users loginsLast24h usersByProvider { provider users } } }`, nil))["adminStats"].(map[string]any)
		byProvider := st["usersByProvider"].([]any)
		if len(byProvider) != 2 || byProvider[0].(map[string]any)["provider"] != "corp" || byProvider[0].(map[string]any)["users"] != float64(1) ||
			byProvider[1].(map[string]any)["provider"] != "google" || byProvider[1].(map[string]any)["users"] != float64(1) {
			t.Fatalf("usersByProvider = %v", byProvider)
		}
		events := auditTypes(t, s, admin, userID)
		for _, want := range []string{"register:via google", "login_succeeded:with google", "identity_linked:corp automatically", "login_succeeded:with corp", "login_failed:no password"} {
			if !slices.ContainsFunc(events, func(e string) bool { return strings.HasPrefix(e, want) }) {
				t.Errorf("no audit event %q in %v", want, events)
			}
		}
	})
}

// auditTypes lists a user's audit events as "type:detail", newest first.
func auditTypes(t *testing.T, s *testServer, admin, userID string) []string {
	t.Helper()
	var u any
	if userID != "" {
		u = userID
	}
	r := ok(t, s.do(t, admin, `query($u: ID) { auditEvents(first: 100, userId: $u) { edges { node { type detail } } } }`, map[string]any{"u": u}))
	var out []string
	for _, e := range r["auditEvents"].(map[string]any)["edges"].([]any) {
		n := e.(map[string]any)["node"].(map[string]any)
		out = append(out, n["type"].(string)+":"+n["detail"].(string))
	}
	return out
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
